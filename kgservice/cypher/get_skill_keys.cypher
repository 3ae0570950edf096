// Names and aliases of every skill of the given taxonomies, for cross-taxonomy matching. Read.
// $taxonomies: LIST<STRING>. Returns: id, taxonomy, name, aliases.
MATCH (s:Skill)
WHERE s.taxonomy IN $taxonomies
RETURN s.id AS id, s.taxonomy AS taxonomy, s.name AS name, coalesce(s.aliases, []) AS aliases
