// Skills an occupation needs. Write. $rows: list of {occupation, skill, relation: "essential"|"optional"}.
UNWIND $rows AS row
MATCH (o:Occupation {id: row.occupation})
MATCH (s:Skill {id: row.skill})
MERGE (o)-[r:REQUIRES_SKILL]->(s)
SET r.relation = row.relation
