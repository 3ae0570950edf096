// The least confident skill-level BROADER edges the loader derived, for review. Read.
// $source: a source ("label_head", "group_field", ... docs/skills-graph.md) or null for all.
// $limit: INTEGER. Returns: child, parent, source, confidence, childId, parentId.
MATCH (c:Skill)-[r:BROADER]->(p:Skill)
WHERE r.confidence IS NOT NULL AND ($source IS NULL OR r.source = $source)
RETURN c.name AS child, p.name AS parent, r.source AS source, r.confidence AS confidence,
       c.id AS childId, p.id AS parentId
ORDER BY confidence, child
LIMIT $limit
