// Groups the loader derives for skills their source left ungrouped (kgservice/loaders/group_placement.py). Write.
// $rows: list of {skill, group, source: "same_as"|"nearest_group", confidence: FLOAT}.
UNWIND $rows AS row
MATCH (s:Skill {id: row.skill})
MATCH (g:SkillGroup {id: row.group})
MERGE (s)-[r:IN_GROUP]->(g)
SET r.source = row.source, r.confidence = row.confidence
