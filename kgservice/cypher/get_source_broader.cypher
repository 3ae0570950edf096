// Skill-level BROADER edges a source gave (not derived by the loader), which the derived hierarchy
// keeps and builds around. Read.
// $taxonomies: LIST<STRING>; $derived: LIST<STRING> sources the loader derives. Returns: child, parent.
MATCH (c:Skill)-[r:BROADER]->(p:Skill)
WHERE c.taxonomy IN $taxonomies AND p.taxonomy IN $taxonomies AND NOT coalesce(r.source, '') IN $derived
RETURN c.id AS child, p.id AS parent
ORDER BY child, parent
