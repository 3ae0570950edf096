// Taxonomy neighbours of many skills at once, for the GraphQL neighbour loader. Read.
// $ids: LIST<STRING> skill ids. $limit: INTEGER, most children, siblings and related skills per skill.
// Returns: seed, relation ("parent"|"child"|"sibling"|"related"|"same_as"), id, taxonomy, name, aliases,
// description, type, uri (the neighbour's fields, so the skill loader can be primed with them).
UNWIND $ids AS seedId
MATCH (seed:Skill {id: seedId})
CALL (seed) {
  MATCH (seed)-[:BROADER]->(n:Skill)
  RETURN n, 'parent' AS relation
  UNION
  MATCH (seed)<-[:BROADER]-(n:Skill)
  WITH n ORDER BY n.name LIMIT $limit
  RETURN n, 'child' AS relation
  UNION
  MATCH (seed)-[:BROADER]->(:Skill)<-[:BROADER]-(n:Skill)
  WHERE n <> seed
  WITH DISTINCT n ORDER BY n.name LIMIT $limit
  RETURN n, 'sibling' AS relation
  UNION
  MATCH (seed)-[:RELATED_TO]-(n:Skill)
  WITH DISTINCT n ORDER BY n.name LIMIT $limit
  RETURN n, 'related' AS relation
  UNION
  MATCH (seed)-[:SAME_AS]-(n:Skill)
  RETURN n, 'same_as' AS relation
}
RETURN seedId AS seed, relation, n.id AS id, n.taxonomy AS taxonomy, n.name AS name,
       coalesce(n.aliases, []) AS aliases, n.description AS description, n.type AS type, n.uri AS uri
