// The groups of many skills, each with its path up to the top group, for the GraphQL group loader. Read.
// $ids: LIST<STRING> skill ids. Returns: seed, id, taxonomy, code, name, level, path (LIST<MAP> of
// {id, code, name, level, taxonomy} from the top group down to this one), most specific group first.
UNWIND $ids AS seedId
MATCH (:Skill {id: seedId})-[:IN_GROUP]->(g:SkillGroup)
OPTIONAL MATCH path = (g)-[:BROADER*0..]->(top:SkillGroup)
WHERE NOT (top)-[:BROADER]->()
WITH seedId, g, path ORDER BY length(path) DESC
WITH seedId, g, head(collect(path)) AS path
RETURN seedId AS seed, g.id AS id, g.taxonomy AS taxonomy, g.code AS code, g.name AS name, g.level AS level,
       [n IN reverse(coalesce(nodes(path), [g])) |
        {id: n.id, code: n.code, name: n.name, level: n.level, taxonomy: n.taxonomy}] AS path
ORDER BY seed, coalesce(g.level, 0) DESC, g.id
