// Documents whose rewrite the server rehearses when warming its write path (kgservice neo4j warm):
// a revision of a stored document reads and deletes stored edges, which new documents never do. Read.
// $limit: INTEGER. Returns: kind, id.
MATCH (d:Document)
WHERE d.kind IS NOT NULL AND d.id IS NOT NULL
RETURN d.kind AS kind, d.id AS id
LIMIT $limit
