// Remove derived skill-level BROADER edges the rules no longer make, so a reload leaves exactly the
// current ones (merge_derived_broader.cypher only adds). Write.
// $sources: LIST<STRING> derived sources; $keep: LIST<STRING> of "<child id>|<parent id>". Returns: deleted.
MATCH (c:Skill)-[r:BROADER]->(p:Skill)
WHERE r.source IN $sources AND NOT (c.id + '|' + p.id) IN $keep
DELETE r
RETURN count(*) AS deleted
