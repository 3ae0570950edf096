// Remove derived group placements the loader no longer makes (a skill its source now places, or a
// changed vote), so a reload leaves exactly the current ones. Write.
// $sources: LIST<STRING> derived sources; $keep: LIST<STRING> of "<skill id>|<group id>". Returns: deleted.
MATCH (s:Skill)-[r:IN_GROUP]->(g:SkillGroup)
WHERE r.source IN $sources AND NOT (s.id + '|' + g.id) IN $keep
DELETE r
RETURN count(*) AS deleted
