// Skill hierarchy: a skill and its broader (parent) skill. Write. $rows: list of {child, parent} skill ids.
UNWIND $rows AS row
MATCH (c:Skill {id: row.child})
MATCH (p:Skill {id: row.parent})
MERGE (c)-[:BROADER]->(p)
