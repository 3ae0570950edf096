// How close each of some skills is to a set of other skills, for matching and skill gaps. Read.
// $ids: LIST<STRING> skills wanted (e.g. a job's). $rows: LIST<STRING> ids of the skills held (e.g. a profile's).
// Returns: id, target, relation ("exact"|"same_as"|"parent"|"child"|"sibling"|"related"|"same_group", the held
// skill's relation to the wanted one: "child" = the held skill is narrower), weight (the edge's strength: BROADER
// confidence, for siblings the best product of both edges' over a shared parent, the strongest RELATED_TO
// weight; else 1.0); one row per link found. kgservice/graph/match_scoring.py turns these into credits.
UNWIND $ids AS wantedId
MATCH (w:Skill {id: wantedId})
CALL (w) {
  MATCH (t:Skill) WHERE t = w AND t.id IN $rows
  RETURN t, 'exact' AS relation, 1.0 AS weight
  UNION
  MATCH (w)-[:SAME_AS]-(t:Skill) WHERE t.id IN $rows
  RETURN t, 'same_as' AS relation, 1.0 AS weight
  UNION
  MATCH (w)-[r:BROADER]->(t:Skill) WHERE t.id IN $rows
  RETURN t, 'parent' AS relation, coalesce(r.confidence, 1.0) AS weight
  UNION
  MATCH (w)<-[r:BROADER]-(t:Skill) WHERE t.id IN $rows
  RETURN t, 'child' AS relation, coalesce(r.confidence, 1.0) AS weight
  UNION
  MATCH (w)-[a:BROADER]->(:Skill)<-[b:BROADER]-(t:Skill) WHERE t <> w AND t.id IN $rows
  RETURN t, 'sibling' AS relation, max(coalesce(a.confidence, 1.0) * coalesce(b.confidence, 1.0)) AS weight
  UNION
  MATCH (w)-[r:RELATED_TO]-(t:Skill) WHERE t <> w AND t.id IN $rows
  RETURN t, 'related' AS relation, max(coalesce(r.weight, CASE r.type WHEN 'essential' THEN 1.0 ELSE 0.5 END)) AS weight
  UNION
  MATCH (w)-[:IN_GROUP]->(:SkillGroup)<-[:IN_GROUP]-(t:Skill) WHERE t <> w AND t.id IN $rows
  RETURN DISTINCT t, 'same_group' AS relation, 1.0 AS weight
}
RETURN wantedId AS id, t.id AS target, relation, weight
