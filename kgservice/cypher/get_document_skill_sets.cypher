// The skill sets of the graph's documents, a page at a time in key order, for co-occurrence counts
// (kgservice graph related, and the Spark job after a batch run). Read.
// $after: STRING, the last key of the previous page ("" for the first). $limit: INTEGER, documents per page.
// Returns: key, skills (LIST<STRING>): the document's skills over every HAS_SKILL source except expansion
// (neighbours the graph itself suggested are no evidence of co-occurrence), minus rejected skills, each as
// its canonical twin when it has one (Skill.canonical), so a concept counts once.
MATCH (d:Document)
WHERE d.key > $after
WITH d ORDER BY d.key LIMIT $limit
CALL (d) {
  OPTIONAL MATCH (d)-[h:HAS_SKILL]->(s:Skill)
  WHERE coalesce(h.method, '') <> 'expansion' AND NOT EXISTS { (d)-[:REJECTED_SKILL]->(s) }
  RETURN collect(DISTINCT coalesce(s.canonical, s.id)) AS skills
}
RETURN d.key AS key, skills
