// Profiles that best cover a job's effective skills, over the graph. Read.
// $key: job document key ("job:123"). $first: INTEGER, most profiles. $credits: MAP relation -> base credit,
// $minRelated: FLOAT, $relationWeights: MAP job-skill relation -> weight (kgservice/graph/match_scoring.py,
// credit_parameters: the numbers its link_credit gives one pair).
// Each job skill weighs score x its relation's weight (mentioned when unknown); a profile earns, per job skill,
// the best credit of: the same skill or a SAME_AS one; a narrower held skill (child) or a broader one (parent)
// x the BROADER edge's confidence; a sibling x both edges' confidences; a related skill x the RELATED_TO weight
// when at least $minRelated; a same-group skill. Rejected skills (REJECTED_SKILL) count on neither side.
// Returns: id, title, score (earned / total weight, 0-1), matched (job skills with any credit), best first.
MATCH (j:Document:Job {key: $key})-[h:HAS_SKILL]->(s:Skill)
WHERE NOT EXISTS { (j)-[:REJECTED_SKILL]->(s) }
WITH s, max(coalesce(h.score, 1.0) * coalesce($relationWeights[h.relation], $relationWeights.mentioned)) AS w
WITH collect({skill: s, w: w}) AS needs, sum(w) AS total
UNWIND needs AS need
WITH total, need.skill AS s, need.w AS w
CALL (s) {
  MATCH (s)<-[:HAS_SKILL]-(p:Profile) WHERE NOT EXISTS { (p)-[:REJECTED_SKILL]->(s) }
  RETURN p, $credits.exact AS credit
  UNION
  MATCH (s)-[:SAME_AS]-(t:Skill)<-[:HAS_SKILL]-(p:Profile) WHERE NOT EXISTS { (p)-[:REJECTED_SKILL]->(t) }
  RETURN p, $credits.same_as AS credit
  UNION
  MATCH (s)<-[r:BROADER]-(t:Skill)<-[:HAS_SKILL]-(p:Profile) WHERE NOT EXISTS { (p)-[:REJECTED_SKILL]->(t) }
  RETURN p, max($credits.child * coalesce(r.confidence, 1.0)) AS credit
  UNION
  MATCH (s)-[r:BROADER]->(t:Skill)<-[:HAS_SKILL]-(p:Profile) WHERE NOT EXISTS { (p)-[:REJECTED_SKILL]->(t) }
  RETURN p, max($credits.parent * coalesce(r.confidence, 1.0)) AS credit
  UNION
  MATCH (s)-[a:BROADER]->(:Skill)<-[b:BROADER]-(t:Skill)<-[:HAS_SKILL]-(p:Profile)
  WHERE t <> s AND NOT EXISTS { (p)-[:REJECTED_SKILL]->(t) }
  RETURN p, max($credits.sibling * coalesce(a.confidence, 1.0) * coalesce(b.confidence, 1.0)) AS credit
  UNION
  MATCH (s)-[r:RELATED_TO]-(t:Skill)<-[:HAS_SKILL]-(p:Profile)
  WHERE t <> s AND coalesce(r.weight, 0.5) >= $minRelated AND NOT EXISTS { (p)-[:REJECTED_SKILL]->(t) }
  RETURN p, max($credits.related * coalesce(r.weight, 0.5)) AS credit
  UNION
  MATCH (s)-[:IN_GROUP]->(:SkillGroup)<-[:IN_GROUP]-(t:Skill)<-[:HAS_SKILL]-(p:Profile)
  WHERE t <> s AND NOT EXISTS { (p)-[:REJECTED_SKILL]->(t) }
  RETURN p, $credits.same_group AS credit
}
WITH total, s, w, p, max(credit) AS credit
WITH p, total, sum(w * credit) AS earned, count(s) AS matched
RETURN p.id AS id, p.title AS title, CASE WHEN total > 0 THEN earned / total ELSE 0.0 END AS score, matched
ORDER BY score DESC, matched DESC, id
LIMIT $first
