// Remove the scratch documents of the write-path warm-up's committed phase (kgservice neo4j warm),
// also what a warm-up cut short left behind. Write.
// $prefix: STRING, the reserved id prefix. Returns: deleted.
MATCH (d:Document)
WHERE d.id STARTS WITH $prefix
DETACH DELETE d
RETURN count(*) AS deleted
