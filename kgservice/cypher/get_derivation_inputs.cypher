// Every skill of the given taxonomies with the groups its source put it in, for the loader's derived
// structure (group placement and skill hierarchy, kgservice/loaders/skill_graph.py). Read.
// $taxonomies: LIST<STRING>; $derived: LIST<STRING> IN_GROUP sources the loader itself writes (left out).
// Returns: id, taxonomy, name, type, groups (LIST<STRING> group ids), sameAs (LIST<STRING> twin ids).
MATCH (s:Skill)
WHERE s.taxonomy IN $taxonomies
RETURN s.id AS id, s.taxonomy AS taxonomy, s.name AS name, s.type AS type,
       [(s)-[r:IN_GROUP]->(g:SkillGroup) WHERE NOT coalesce(r.source, '') IN $derived | g.id] AS groups,
       [(s)-[:SAME_AS]-(t:Skill) WHERE t.taxonomy IN $taxonomies | t.id] AS sameAs
ORDER BY id
