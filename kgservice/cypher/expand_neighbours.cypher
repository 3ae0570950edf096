// Graph neighbours of skills, for expansion (the neighbour snapshot, the expander, expandSkills). Read. One round
// trip per batch of seeds.
// $ids: LIST<STRING> seed skill ids. $limit: INTEGER, most related skills per seed. $pool: INTEGER, most children,
// siblings and same-group skills per seed and relation: the caller ranks these by meaning (cosine of the skill
// tower's vectors to the seed's, kgservice/graph/skill_queries.py::rank_neighbours) and keeps its own number, so
// the pool is as large as the largest group (423 skills in the default taxonomy) and comes ordered by support and
// edge weight, then id, never by name: a name order handed every seed of a big group the same alphabetically
// first members.
// Returns one row per seed that has neighbours: seed, and parallel lists ids, names, taxonomies, relations
// ("parent"|"child"|"sibling"|"same_group"|"same_as"|"related"), supports (siblings and same-group skills: how many
// parents/groups they share with the seed; else 1), weights (how strongly the edge stands for its relation:
// parent/child the BROADER edge's confidence, ESCO's own 1.0, derived ones below; sibling the best product of
// the two edges' confidences over a shared parent; related the strongest RELATED_TO weight between the two in
// either direction, ESCO's curated relations 1.0 when essential, 0.5 optional; same_as and same_group 1.0).
// One row per seed, not per neighbour: the Python driver spends tens of microseconds of client CPU per
// record, and a batch of postings has thousands of neighbours; that decoding ran on the extraction
// process's core beside the encoder. Parallel lists decode several times faster.
// replan=skip: seeks by skill id; statistics do not change the plan, so a replan is only latency.
CYPHER replan=skip
UNWIND $ids AS seedId
MATCH (seed:Skill {id: seedId})
CALL (seed) {
  MATCH (seed)-[r:BROADER]->(n:Skill)
  RETURN n, 'parent' AS relation, 1 AS support, coalesce(r.confidence, 1.0) AS weight
  UNION
  MATCH (seed)<-[r:BROADER]-(n:Skill)
  WITH n, coalesce(r.confidence, 1.0) AS weight ORDER BY weight DESC, n.id LIMIT $pool
  RETURN n, 'child' AS relation, 1 AS support, weight
  UNION
  MATCH (seed)-[:SAME_AS]-(n:Skill)
  RETURN n, 'same_as' AS relation, 1 AS support, 1.0 AS weight
  UNION
  MATCH (seed)-[a:BROADER]->(:Skill)<-[b:BROADER]-(n:Skill)
  WHERE n <> seed
  WITH n, count(*) AS support, max(coalesce(a.confidence, 1.0) * coalesce(b.confidence, 1.0)) AS weight
  ORDER BY support DESC, weight DESC, n.id LIMIT $pool
  RETURN n, 'sibling' AS relation, support, weight
  UNION
  MATCH (seed)-[:IN_GROUP]->(:SkillGroup)<-[:IN_GROUP]-(n:Skill)
  WHERE n <> seed
  WITH n, count(*) AS support ORDER BY support DESC, n.id LIMIT $pool
  RETURN n, 'same_group' AS relation, support, 1.0 AS weight
  UNION
  MATCH (seed)-[r:RELATED_TO]-(n:Skill)
  WHERE n <> seed
  WITH n, max(coalesce(r.weight, CASE r.type WHEN 'essential' THEN 1.0 ELSE 0.5 END)) AS weight
  ORDER BY weight DESC, n.id LIMIT $limit
  RETURN n, 'related' AS relation, 1 AS support, weight
}
WITH seed, collect(n.id) AS ids, collect(n.name) AS names, collect(n.taxonomy) AS taxonomies,
     collect(relation) AS relations, collect(support) AS supports, collect(weight) AS weights
RETURN seed.id AS seed, ids, names, taxonomies, relations, supports, weights
