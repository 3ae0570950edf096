// Graph neighbours of a document's extracted skills, for expansion. Read. One round trip per batch of seeds.
// $ids: LIST<STRING> seed skill ids. $limit: INTEGER, most neighbours per seed and relation.
// Returns one row per seed that has neighbours: seed, and parallel lists ids, names, taxonomies, relations
// ("parent"|"child"|"sibling"|"same_group"|"same_as"), supports (for siblings and same-group skills: how
// many parents/groups they share with the seed), in the order the subquery yields them.
// One row per seed, not per neighbour: the Python driver spends tens of microseconds of client CPU per
// record, and a batch of postings has thousands of neighbours; that decoding ran on the extraction
// process's core beside the encoder. Parallel lists decode several times faster.
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
WITH seed, collect(n.id) AS ids, collect(n.name) AS names, collect(n.taxonomy) AS taxonomies,
     collect(relation) AS relations, collect(support) AS supports
RETURN seed.id AS seed, ids, names, taxonomies, relations, supports
