// A skill's place in the skill hierarchy: its ancestors (up to 5 BROADER hops, nearest first) and its
// children, each with the edge's source and confidence. Read.
// $skill: a skill id or an exact preferred name. $limit: INTEGER, most children.
// Returns one row per matching skill: id, name, ancestors (LIST<MAP> {depth, name, source, confidence}),
// children (LIST<MAP> {name, source, confidence}), childCount.
MATCH (s:Skill)
WHERE s.id = $skill OR s.name = $skill
OPTIONAL CALL (s) {
  MATCH path = (s)-[:BROADER*1..5]->(a:Skill)
  WITH a, min(length(path)) AS depth, last(relationships(head(collect(path)))) AS r
  ORDER BY depth, a.name
  RETURN collect({depth: depth, name: a.name, source: r.source, confidence: r.confidence}) AS ancestors
}
OPTIONAL CALL (s) {
  MATCH (c:Skill)-[r:BROADER]->(s)
  WITH c, r ORDER BY r.confidence DESC, c.name
  RETURN collect({name: c.name, source: r.source, confidence: r.confidence}) AS kids
}
RETURN s.id AS id, s.name AS name, ancestors, kids[..$limit] AS children, size(kids) AS childCount
