// Courses whose skills cover a profile's gap for a job, most coverage first. Read.
// $jobKey, $profileKey: document keys ("job:1", "profile:2"). $limit: INTEGER, most courses.
// The gap: the job's effective skills (rejected ones excluded) that the profile holds neither as the skill
// nor as a SAME_AS twin, less the skills the job seeker flagged as not relevant to them for this job
// (FLAGGED_SKILL {jobKey}). Each gap skill weighs the job's score x (required 1.0, core 0.8, mentioned 0.5),
// as in get_top_candidates.cypher. A course covers a gap skill when it has it or a SAME_AS twin of it.
// Returns one row: gapSkills (INTEGER), courses (LIST<MAP> of {id, title, coverage: covered weight / gap
// weight (0-1), covered: LIST<STRING> gap skill ids the course covers, heaviest first}, best first).
MATCH (j:Document:Job {key: $jobKey})-[h:HAS_SKILL]->(s:Skill)
WHERE NOT EXISTS { (j)-[:REJECTED_SKILL]->(s) }
WITH j, s, max(coalesce(h.score, 1.0) * CASE h.relation WHEN 'required' THEN 1.0 WHEN 'core' THEN 0.8 ELSE 0.5 END) AS w
MATCH (p:Document:Profile {key: $profileKey})
WHERE NOT EXISTS { (p)-[:HAS_SKILL]->(s) WHERE NOT EXISTS { (p)-[:REJECTED_SKILL]->(s) } }
  AND NOT EXISTS { (p)-[:HAS_SKILL]->(:Skill)-[:SAME_AS]-(s) }
  AND NOT EXISTS { (p)-[f:FLAGGED_SKILL]->(s) WHERE f.jobKey = $jobKey }
WITH collect({skill: s, w: w}) AS gap, sum(w) AS total
CALL (gap, total) {
  UNWIND gap AS g
  WITH g.skill AS s, g.w AS w
  CALL (s) {
    MATCH (c:Document:Course)-[:HAS_SKILL]->(s) WHERE NOT EXISTS { (c)-[:REJECTED_SKILL]->(s) }
    RETURN c
    UNION
    MATCH (c:Document:Course)-[:HAS_SKILL]->(t:Skill)-[:SAME_AS]-(s) WHERE NOT EXISTS { (c)-[:REJECTED_SKILL]->(t) }
    RETURN c
  }
  WITH c, s, w ORDER BY w DESC, s.id
  WITH c, sum(w) AS covered, collect(s.id) AS skills
  WITH c, covered / total AS coverage, skills
  ORDER BY coverage DESC, size(skills) DESC, c.id
  LIMIT $limit
  RETURN collect({id: c.id, title: c.title, coverage: coverage, covered: skills}) AS courses
}
RETURN size(gap) AS gapSkills, courses
