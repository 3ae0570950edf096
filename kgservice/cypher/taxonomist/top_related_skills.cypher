// A skill's most related skills by co-occurrence weight (RELATED_TO, either direction, one row per related
// skill and source), for judging what `graph related` made. Read.
// $skill: a skill id or an exact preferred name. $limit: INTEGER, most related skills per matching skill.
// Returns one row per matching skill and related skill: id, name, related, source, weight, documents.
MATCH (s:Skill)
WHERE s.id = $skill OR s.name = $skill
MATCH (s)-[r:RELATED_TO]-(t:Skill)
WITH s, t, r.source AS source, max(r.weight) AS weight, max(r.documents) AS documents
ORDER BY s.id, weight DESC, t.name
WITH s, collect({name: t.name, source: source, weight: weight, documents: documents})[..$limit] AS top
UNWIND top AS row
RETURN s.id AS id, s.name AS name, row.name AS related, row.source AS source, round(row.weight, 3) AS weight,
       row.documents AS documents
