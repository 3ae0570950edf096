// Remove the documents whose id starts with a reserved prefix, and their edges: the write-path
// warm-up's scratch documents (also what a warm-up cut short left behind), benchmarks' and tests'
// own documents. Write.
// $prefix: STRING. Returns: deleted.
MATCH (d:Document)
WHERE d.id STARTS WITH $prefix
DETACH DELETE d
RETURN count(*) AS deleted
