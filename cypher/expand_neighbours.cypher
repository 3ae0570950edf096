// Graph neighbours of a document's extracted skills, for expansion. Read. One round trip per document.
// $ids: LIST<STRING> seed skill ids. $limit: INTEGER, most neighbours per seed and relation.
// Returns: seed, id, name, taxonomy, relation ("parent"|"child"|"sibling"|"same_group"|"same_as"), support
// (for siblings and same-group skills: how many parents/groups they share with the seed).
// replan=skip: seeks by skill id; statistics do not change the plan, so a replan is only latency.
CYPHER replan=skip
UNWIND $ids AS seedId
MATCH (seed:Skill {id: seedId})
CALL (seed) {
  MATCH (seed)-[:BROADER]->(n:Skill)
  RETURN n, 'parent' AS relation, 1 AS support
  UNION
  MATCH (seed)<-[:BROADER]-(n:Skill)
  WITH n ORDER BY n.name LIMIT $limit
  RETURN n, 'child' AS relation, 1 AS support
  UNION
  MATCH (seed)-[:SAME_AS]-(n:Skill)
  RETURN n, 'same_as' AS relation, 1 AS support
  UNION
  MATCH (seed)-[:BROADER]->(:Skill)<-[:BROADER]-(n:Skill)
  WHERE n <> seed
  WITH n, count(*) AS support ORDER BY support DESC, n.name LIMIT $limit
  RETURN n, 'sibling' AS relation, support
  UNION
  MATCH (seed)-[:IN_GROUP]->(:SkillGroup)<-[:IN_GROUP]-(n:Skill)
  WHERE n <> seed
  WITH n, count(*) AS support ORDER BY support DESC, n.name LIMIT $limit
  RETURN n, 'same_group' AS relation, support
}
RETURN seed.id AS seed, n.id AS id, n.name AS name, n.taxonomy AS taxonomy, relation, support
