// A skill with its parents, children, siblings, groups (each group with its path to the top),
// related skills (strongest first: ESCO's curated relations, then co-occurrence weight) and SAME_AS matches. Read.
// $skill: a skill id (e.g. "esco:000f1d3d-...") or an exact preferred name (e.g. "Haskell").
// Returns one row per matching skill: id, taxonomy, name, aliases, parents, children, siblings,
// groupPaths (each a list of "code name" from the top group down), related, sameAs.
MATCH (s:Skill)
WHERE s.id = $skill OR s.name = $skill
OPTIONAL CALL (s) {
  MATCH (s)-[:BROADER]->(p:Skill) RETURN collect(p.name) AS parents
}
OPTIONAL CALL (s) {
  MATCH (s)<-[:BROADER]-(c:Skill) RETURN collect(c.name)[..25] AS children
}
OPTIONAL CALL (s) {
  MATCH (s)-[:BROADER]->(:Skill)<-[:BROADER]-(sib:Skill) WHERE sib <> s
  RETURN collect(DISTINCT sib.name)[..25] AS siblings
}
OPTIONAL CALL (s) {
  MATCH (s)-[:IN_GROUP]->(g:SkillGroup)
  MATCH path = (g)-[:BROADER*0..]->(top:SkillGroup)
  WHERE NOT (top)-[:BROADER]->()
  RETURN collect([n IN reverse(nodes(path)) | n.code + ' ' + coalesce(n.name, '')]) AS groupPaths
}
OPTIONAL CALL (s) {
  MATCH (s)-[rel:RELATED_TO]-(r:Skill)
  WITH r, max(coalesce(rel.weight, 1.0)) AS weight ORDER BY weight DESC, r.name
  RETURN collect(r.name)[..25] AS related
}
OPTIONAL CALL (s) {
  MATCH (s)-[:SAME_AS]-(x:Skill) RETURN collect(DISTINCT x.taxonomy + ':' + x.name) AS sameAs
}
RETURN s.id AS id, s.taxonomy AS taxonomy, s.name AS name, s.aliases[..10] AS aliases,
       parents, children, siblings, groupPaths, related, sameAs
