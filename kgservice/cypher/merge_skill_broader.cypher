// Skill hierarchy from a source (an ESCO bundle): a skill and its broader (parent) skill. Write.
// $rows: list of {child, parent} skill ids. The edge records source "esco" and confidence 1.0; the
// loader keeps such edges and derives its own around them (merge_derived_broader.cypher).
UNWIND $rows AS row
MATCH (c:Skill {id: row.child})
MATCH (p:Skill {id: row.parent})
MERGE (c)-[r:BROADER]->(p)
SET r.source = 'esco', r.confidence = 1.0
