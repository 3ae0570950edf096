// Skills whose name or an alias matches, from the full-text index skill_names. Read.
// $text: a Lucene query string (the caller escapes user text). $first: INTEGER, most hits.
// Returns: id, taxonomy, name, aliases, description, type, uri, score (Lucene relevance), best first.
CALL db.index.fulltext.queryNodes('skill_names', $text) YIELD node, score
RETURN node.id AS id, node.taxonomy AS taxonomy, node.name AS name, coalesce(node.aliases, []) AS aliases,
       node.description AS description, node.type AS type, node.uri AS uri, score
ORDER BY score DESC, node.name
LIMIT $first
