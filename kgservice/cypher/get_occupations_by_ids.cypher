// Occupations by id. Read. $ids: LIST<STRING>.
// Returns: id, taxonomy, name, aliases, description, uri (one row per id that exists).
UNWIND $ids AS occupationId
MATCH (o:Occupation {id: occupationId})
RETURN o.id AS id, o.taxonomy AS taxonomy, o.name AS name, coalesce(o.aliases, []) AS aliases,
       o.description AS description, o.uri AS uri
