// A job seeker flags a job's skill as not relevant to them: stored against the (profile, job, skill) triple
// as a FLAGGED_SKILL edge from the profile to the skill keyed by the job. Write, idempotent.
// $profileKey, $jobKey: document keys. $skillId: STRING. $actor: STRING (may be empty). $updatedAt: INTEGER
// epoch ms. The job's own skills are untouched (the flag is about this person, not the extraction).
// Returns: profileKey, jobKey, skillId (no row when the profile, the job or the skill is unknown, or the
// job does not have the skill).
MATCH (p:Document:Profile {key: $profileKey})
MATCH (j:Document:Job {key: $jobKey})-[:HAS_SKILL]->(s:Skill {id: $skillId})
WITH DISTINCT p, j, s
MERGE (p)-[f:FLAGGED_SKILL {jobKey: $jobKey}]->(s)
SET f.action = 'not_relevant', f.actor = $actor, f.updatedAt = $updatedAt
RETURN p.key AS profileKey, j.key AS jobKey, s.id AS skillId
