// A person confirms a skill on a document: a recruiter accepts a suggested skill or adds one. Write.
// $key: document key ("job:123"). $skillId: STRING. $action: "accept"|"add". $relation: "required"|"core"|
// "mentioned". $actor: STRING (who, may be empty). $updatedAt: INTEGER epoch ms.
// Removes any earlier rejection of the skill and merges a HAS_SKILL edge with source 'feedback' (score 1.0);
// extraction never deletes it. Returns: key, skillId, action (no row when the document or skill is unknown).
MATCH (d:Document {key: $key})
MATCH (s:Skill {id: $skillId})
OPTIONAL MATCH (d)-[r:REJECTED_SKILL]->(s)
DELETE r
MERGE (d)-[h:HAS_SKILL {source: 'feedback'}]->(s)
SET h.score = 1.0, h.relation = $relation, h.method = $action, h.section = null, h.actor = $actor,
    h.modelVersion = null, h.updatedAt = $updatedAt
RETURN d.key AS key, s.id AS skillId, $action AS action
