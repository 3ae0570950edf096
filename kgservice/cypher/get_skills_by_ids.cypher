// Skills by id, for the GraphQL skill loader (one round trip per batch of ids). Read.
// $ids: LIST<STRING> skill ids. Returns: id, taxonomy, name, aliases, description, type, uri
// (one row per id that exists; missing ids give no row).
UNWIND $ids AS skillId
MATCH (s:Skill {id: skillId})
RETURN s.id AS id, s.taxonomy AS taxonomy, s.name AS name, coalesce(s.aliases, []) AS aliases,
       s.description AS description, s.type AS type, s.uri AS uri
