// Skill-level BROADER edges the loader derives (kgservice/loaders/skill_hierarchy.py). Write.
// $rows: list of {child, parent, source: STRING, confidence: FLOAT}; child -> parent = narrower -> broader.
UNWIND $rows AS row
MATCH (c:Skill {id: row.child})
MATCH (p:Skill {id: row.parent})
MERGE (c)-[r:BROADER]->(p)
SET r.source = row.source, r.confidence = row.confidence
