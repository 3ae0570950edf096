// Related skills (ESCO skillSkillRelations). Write. $rows: list of {source, target, type} (type e.g. "optional").
UNWIND $rows AS row
MATCH (a:Skill {id: row.source})
MATCH (b:Skill {id: row.target})
MERGE (a)-[r:RELATED_TO]->(b)
SET r.type = row.type
