// Link a skill group to its broader (parent) group. Write. $rows: list of {child, parent} group ids.
UNWIND $rows AS row
MATCH (c:SkillGroup {id: row.child})
MATCH (p:SkillGroup {id: row.parent})
MERGE (c)-[:BROADER]->(p)
