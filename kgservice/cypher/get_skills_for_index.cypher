// Text of every skill, for building the trie and the vector index. Read.
// $taxonomies: LIST<STRING> or null for all. Returns: id, taxonomy, name, aliases, description, type,
// canonical (the twin that stands for the skill in results, or null).
MATCH (s:Skill)
WHERE $taxonomies IS NULL OR s.taxonomy IN $taxonomies
RETURN s.id AS id, s.taxonomy AS taxonomy, s.name AS name, coalesce(s.aliases, []) AS aliases,
       s.description AS description, s.type AS type, s.canonical AS canonical
ORDER BY id
