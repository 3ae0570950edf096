// Remove every node of one taxonomy, with its relationships. Write. $taxonomy: e.g. "esco".
// Meant for fixtures and small taxonomies; the full ESCO/Lightcast graphs are replaced by re-loading.
MATCH (n)
WHERE (n:Skill OR n:SkillGroup OR n:Occupation) AND n.taxonomy = $taxonomy
DETACH DELETE n
WITH count(*) AS removed
OPTIONAL MATCH (t:Taxonomy {id: $taxonomy})
DETACH DELETE t
RETURN removed
