// The Skills Graph's coverage, for the load report and its test. Read. No parameters.
// Returns: skills, ungrouped (skills in no group), broader (skill-level BROADER edges), touched (skills
// with a skill-level BROADER edge either way), occupations, described (skills with a description).
MATCH (s:Skill)
WITH count(s) AS skills,
     count(CASE WHEN NOT (s)-[:IN_GROUP]->() THEN 1 END) AS ungrouped,
     count(CASE WHEN (s)-[:BROADER]-(:Skill) THEN 1 END) AS touched,
     count(s.description) AS described
CALL () {
  MATCH (:Skill)-[r:BROADER]->(:Skill) RETURN count(r) AS broader
}
CALL () {
  MATCH (o:Occupation) RETURN count(o) AS occupations
}
RETURN skills, ungrouped, broader, touched, occupations, described
