// A person rejects a skill on a document: a recruiter removes a suggested skill, or a job seeker flags one
// as not relevant. Write.
// $key: document key. $skillId: STRING. $action: "remove"|"not_relevant". $actor: STRING.
// $updatedAt: INTEGER epoch ms.
// Deletes the feedback HAS_SKILL edge (if any) and merges a REJECTED_SKILL edge; the extraction edge stays
// (a later extraction would recreate it) but readers exclude rejected skills.
// Returns: key, skillId, action (no row when the document or skill is unknown).
MATCH (d:Document {key: $key})
MATCH (s:Skill {id: $skillId})
OPTIONAL MATCH (d)-[h:HAS_SKILL {source: 'feedback'}]->(s)
DELETE h
MERGE (d)-[r:REJECTED_SKILL]->(s)
SET r.source = 'feedback', r.action = $action, r.actor = $actor, r.updatedAt = $updatedAt
RETURN d.key AS key, s.id AS skillId, $action AS action
