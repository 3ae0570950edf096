// Group membership: a skill in the most specific group of one of its paths. Write.
// $rows: list of {skill, group} ids.
UNWIND $rows AS row
MATCH (s:Skill {id: row.skill})
MATCH (g:SkillGroup {id: row.group})
MERGE (s)-[:IN_GROUP]->(g)
