// Record a skill assessment on a profile. Write.
// $key: profile document key ("profile:42"). $skillId: STRING. $percentile: FLOAT 0-100.
// $verified: BOOLEAN (the caller's rule: percentile >= 70). $updatedAt: INTEGER epoch ms.
// Merges a HAS_SKILL edge with source 'assessment' (score = percentile / 100, relation core, method
// assessment); extraction never deletes it. Returns: key, skillId, percentile, verified (no row when the
// profile or skill is unknown).
MATCH (d:Document:Profile {key: $key})
MATCH (s:Skill {id: $skillId})
MERGE (d)-[h:HAS_SKILL {source: 'assessment'}]->(s)
SET h.score = toFloat($percentile) / 100.0, h.relation = 'core', h.method = 'assessment', h.percentile = toFloat($percentile),
    h.verified = $verified, h.updatedAt = $updatedAt
RETURN d.key AS key, s.id AS skillId, h.percentile AS percentile, h.verified AS verified
