// Profiles that best cover a job's effective skills, over the graph. Read.
// $key: job document key ("job:123"). $first: INTEGER, most profiles.
// Each job skill weighs score x (required 1.0, core 0.8, mentioned 0.5); a profile earns, per job skill, the
// best credit of: the same skill or a SAME_AS one 1.0, a parent/child 0.6, a sibling 0.5, a same-group skill
// 0.3. Rejected skills (REJECTED_SKILL) count on neither side.
// Returns: id, title, score (earned / total weight, 0-1), matched (job skills with any credit), best first.
MATCH (j:Document:Job {key: $key})-[h:HAS_SKILL]->(s:Skill)
WHERE NOT EXISTS { (j)-[:REJECTED_SKILL]->(s) }
WITH s, max(coalesce(h.score, 1.0) * CASE h.relation WHEN 'required' THEN 1.0 WHEN 'core' THEN 0.8 ELSE 0.5 END) AS w
WITH collect({skill: s, w: w}) AS needs, sum(w) AS total
UNWIND needs AS need
WITH total, need.skill AS s, need.w AS w
CALL (s) {
  MATCH (s)<-[:HAS_SKILL]-(p:Profile) WHERE NOT EXISTS { (p)-[:REJECTED_SKILL]->(s) }
  RETURN p, 1.0 AS credit
  UNION
  MATCH (s)-[:SAME_AS]-(t:Skill)<-[:HAS_SKILL]-(p:Profile) WHERE NOT EXISTS { (p)-[:REJECTED_SKILL]->(t) }
  RETURN p, 1.0 AS credit
  UNION
  MATCH (s)-[:BROADER]-(t:Skill)<-[:HAS_SKILL]-(p:Profile) WHERE NOT EXISTS { (p)-[:REJECTED_SKILL]->(t) }
  RETURN p, 0.6 AS credit
  UNION
  MATCH (s)-[:BROADER]->(:Skill)<-[:BROADER]-(t:Skill)<-[:HAS_SKILL]-(p:Profile)
  WHERE t <> s AND NOT EXISTS { (p)-[:REJECTED_SKILL]->(t) }
  RETURN p, 0.5 AS credit
  UNION
  MATCH (s)-[:IN_GROUP]->(:SkillGroup)<-[:IN_GROUP]-(t:Skill)<-[:HAS_SKILL]-(p:Profile)
  WHERE t <> s AND NOT EXISTS { (p)-[:REJECTED_SKILL]->(t) }
  RETURN p, 0.3 AS credit
}
WITH total, s, w, p, max(credit) AS credit
WITH p, total, sum(w * credit) AS earned, count(s) AS matched
RETURN p.id AS id, p.title AS title, CASE WHEN total > 0 THEN earned / total ELSE 0.0 END AS score, matched
ORDER BY score DESC, matched DESC, id
LIMIT $first
