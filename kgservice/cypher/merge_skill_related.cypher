// Related skills (ESCO skillSkillRelations). Write. $rows: list of {source, target, type} (type e.g. "optional").
// The edge carries source 'esco', so it is its own edge beside the co-occurrence ones (merge_related_skills.cypher)
// between the same two skills, which a co-occurrence rebuild replaces without touching this one.
UNWIND $rows AS row
MATCH (a:Skill {id: row.source})
MATCH (b:Skill {id: row.target})
MERGE (a)-[r:RELATED_TO {source: 'esco'}]->(b)
SET r.type = row.type
