// Group membership: a skill in the most specific group of one of its paths, as its source says. Write.
// $rows: list of {skill, group} ids. The edge records it: source = the group's taxonomy, confidence 1.0
// (placements the loader derives for skills their source left ungrouped: merge_derived_in_group.cypher).
UNWIND $rows AS row
MATCH (s:Skill {id: row.skill})
MATCH (g:SkillGroup {id: row.group})
MERGE (s)-[r:IN_GROUP]->(g)
SET r.source = g.taxonomy, r.confidence = 1.0
