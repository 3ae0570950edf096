// Occupations whose name or an alias matches, from the full-text index occupation_names. Read.
// $text: a Lucene query string (the caller escapes user text). $first: INTEGER, most hits.
// Returns: id, taxonomy, name, aliases, description, uri, score (Lucene relevance), best first.
CALL db.index.fulltext.queryNodes('occupation_names', $text) YIELD node, score
RETURN node.id AS id, node.taxonomy AS taxonomy, node.name AS name, coalesce(node.aliases, []) AS aliases,
       node.description AS description, node.uri AS uri, score
ORDER BY score DESC, node.name
LIMIT $first
