// Remove SAME_AS links between two taxonomies that the current rules no longer make, so a reload
// after a rule change leaves exactly the current links (merge_same_as.cypher only adds). Write.
// $left, $right: STRING taxonomies; $keep: LIST<STRING> of "<source id>|<target id>". Returns: deleted.
MATCH (a:Skill {taxonomy: $left})-[r:SAME_AS]->(b:Skill {taxonomy: $right})
WHERE NOT (a.id + '|' + b.id) IN $keep
DELETE r
RETURN count(*) AS deleted
