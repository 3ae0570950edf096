// Full-text search over skill names and aliases (Lucene syntax: fuzzy "pyhton~", prefix "kube*"). Read.
// $text: the search string. $limit: INTEGER. Returns: id, taxonomy, name, score.
CALL db.index.fulltext.queryNodes('skill_names', $text) YIELD node, score
RETURN node.id AS id, node.taxonomy AS taxonomy, node.name AS name, score
ORDER BY score DESC
LIMIT $limit
