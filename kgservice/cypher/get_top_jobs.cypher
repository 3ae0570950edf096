// Jobs whose effective skills a profile best covers, over the graph. Read.
// $key: profile document key ("profile:42"). $first: INTEGER, most jobs. $credits, $minRelated,
// $relationWeights: as in get_top_candidates.cypher (kgservice/graph/match_scoring.py, credit_parameters).
// Credits as there, seen from the held skill: a job skill broader than a held one (the held one its child)
// earns the child credit, a narrower job skill the parent credit, each x the BROADER confidence; weighted by
// each job skill's score x its relation's weight and divided by the job's total weight, so a job is ranked by
// how much of it the profile covers.
// Returns: id, title, score (0-1), matched (job skills with any credit), best first.
MATCH (p:Document:Profile {key: $key})-[:HAS_SKILL]->(ps:Skill)
WHERE NOT EXISTS { (p)-[:REJECTED_SKILL]->(ps) }
WITH DISTINCT ps
CALL (ps) {
  RETURN ps AS js, $credits.exact AS credit
  UNION
  MATCH (ps)-[:SAME_AS]-(js:Skill) RETURN js, $credits.same_as AS credit
  UNION
  MATCH (ps)-[r:BROADER]->(js:Skill) RETURN js, max($credits.child * coalesce(r.confidence, 1.0)) AS credit
  UNION
  MATCH (ps)<-[r:BROADER]-(js:Skill) RETURN js, max($credits.parent * coalesce(r.confidence, 1.0)) AS credit
  UNION
  MATCH (ps)-[a:BROADER]->(:Skill)<-[b:BROADER]-(js:Skill) WHERE js <> ps
  RETURN js, max($credits.sibling * coalesce(a.confidence, 1.0) * coalesce(b.confidence, 1.0)) AS credit
  UNION
  MATCH (ps)-[r:RELATED_TO]-(js:Skill) WHERE js <> ps AND coalesce(r.weight, 0.5) >= $minRelated
  RETURN js, max($credits.related * coalesce(r.weight, 0.5)) AS credit
  UNION
  MATCH (ps)-[:IN_GROUP]->(:SkillGroup)<-[:IN_GROUP]-(js:Skill) WHERE js <> ps RETURN DISTINCT js, $credits.same_group AS credit
}
WITH js, max(credit) AS credit
MATCH (js)<-[h:HAS_SKILL]-(j:Job)
WHERE NOT EXISTS { (j)-[:REJECTED_SKILL]->(js) }
WITH j, js, credit,
     max(coalesce(h.score, 1.0) * coalesce($relationWeights[h.relation], $relationWeights.mentioned)) AS w
WITH j, sum(w * credit) AS earned, count(js) AS matched
CALL (j) {
  MATCH (j)-[h:HAS_SKILL]->(s:Skill)
  WHERE NOT EXISTS { (j)-[:REJECTED_SKILL]->(s) }
  WITH s, max(coalesce(h.score, 1.0) * coalesce($relationWeights[h.relation], $relationWeights.mentioned)) AS w
  RETURN sum(w) AS total
}
RETURN j.id AS id, j.title AS title, CASE WHEN total > 0 THEN earned / total ELSE 0.0 END AS score, matched
ORDER BY score DESC, matched DESC, id
LIMIT $first
