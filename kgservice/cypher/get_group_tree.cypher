// Every skill group of the given taxonomies with its name and broader group. Read.
// $taxonomies: LIST<STRING>. Returns: id, taxonomy, name, level, parent (group id or null).
MATCH (g:SkillGroup)
WHERE g.taxonomy IN $taxonomies
OPTIONAL MATCH (g)-[:BROADER]->(p:SkillGroup)
RETURN g.id AS id, g.taxonomy AS taxonomy, g.name AS name, g.level AS level, min(p.id) AS parent
ORDER BY id
