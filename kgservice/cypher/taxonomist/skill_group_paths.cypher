// Every group path of a skill, from the top group (pillar or category) down to the skill's group. Read.
// $skill: a skill id or an exact preferred name. Returns: id, name, codes (LIST<STRING>), names (LIST<STRING>).
MATCH (s:Skill)-[:IN_GROUP]->(g:SkillGroup)
WHERE s.id = $skill OR s.name = $skill
MATCH path = (g)-[:BROADER*0..]->(top:SkillGroup)
WHERE NOT (top)-[:BROADER]->()
WITH s, reverse(nodes(path)) AS groups
RETURN s.id AS id, s.name AS name, [n IN groups | n.code] AS codes, [n IN groups | n.name] AS names
ORDER BY codes
