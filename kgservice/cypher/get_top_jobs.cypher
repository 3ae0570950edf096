// Jobs whose effective skills a profile best covers, over the graph. Read.
// $key: profile document key ("profile:42"). $first: INTEGER, most jobs.
// Credits as in get_top_candidates.cypher (same skill or SAME_AS 1.0, parent/child 0.6, sibling 0.5, same
// group 0.3), weighted by each job skill's score x (required 1.0, core 0.8, mentioned 0.5) and divided by the
// job's total weight, so a job is ranked by how much of it the profile covers.
// Returns: id, title, score (0-1), matched (job skills with any credit), best first.
MATCH (p:Document:Profile {key: $key})-[:HAS_SKILL]->(ps:Skill)
WHERE NOT EXISTS { (p)-[:REJECTED_SKILL]->(ps) }
WITH DISTINCT ps
CALL (ps) {
  RETURN ps AS js, 1.0 AS credit
  UNION
  MATCH (ps)-[:SAME_AS]-(js:Skill) RETURN js, 1.0 AS credit
  UNION
  MATCH (ps)-[:BROADER]-(js:Skill) RETURN js, 0.6 AS credit
  UNION
  MATCH (ps)-[:BROADER]->(:Skill)<-[:BROADER]-(js:Skill) WHERE js <> ps RETURN js, 0.5 AS credit
  UNION
  MATCH (ps)-[:IN_GROUP]->(:SkillGroup)<-[:IN_GROUP]-(js:Skill) WHERE js <> ps RETURN js, 0.3 AS credit
}
WITH js, max(credit) AS credit
MATCH (js)<-[h:HAS_SKILL]-(j:Job)
WHERE NOT EXISTS { (j)-[:REJECTED_SKILL]->(js) }
WITH j, js, credit,
     max(coalesce(h.score, 1.0) * CASE h.relation WHEN 'required' THEN 1.0 WHEN 'core' THEN 0.8 ELSE 0.5 END) AS w
WITH j, sum(w * credit) AS earned, count(js) AS matched
CALL (j) {
  MATCH (j)-[h:HAS_SKILL]->(s:Skill)
  WHERE NOT EXISTS { (j)-[:REJECTED_SKILL]->(s) }
  WITH s, max(coalesce(h.score, 1.0) * CASE h.relation WHEN 'required' THEN 1.0 WHEN 'core' THEN 0.8 ELSE 0.5 END) AS w
  RETURN sum(w) AS total
}
RETURN j.id AS id, j.title AS title, CASE WHEN total > 0 THEN earned / total ELSE 0.0 END AS score, matched
ORDER BY score DESC, matched DESC, id
LIMIT $first
