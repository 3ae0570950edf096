// Human labels on documents, for training the multitask scorer (kgservice/train/multitask_scorer.py). Read.
// No parameters: every labelled document of every kind (feedback is sparse; the trainer filters).
// One row per labelled (document, skill): a recruiter's accept/add (HAS_SKILL source 'feedback'), an
// assessment (HAS_SKILL source 'assessment', with verified), or a removal / job-seeker "not relevant" flag
// (REJECTED_SKILL). Returns: key, kind, id, title, skillId, positive (BOOLEAN: false for a rejection),
// relation (the recruiter's, 'core' for assessments, null for rejections), source ('feedback'|'assessment'|
// 'rejected'), action, verified (BOOLEAN or null). Documents carry no text: the trainer joins texts by key.
MATCH (d:Document)-[h:HAS_SKILL]->(s:Skill)
WHERE h.source IN ['feedback', 'assessment']
RETURN d.key AS key, d.kind AS kind, d.id AS id, d.title AS title, s.id AS skillId, true AS positive,
       h.relation AS relation, h.source AS source, h.method AS action, h.verified AS verified
UNION ALL
MATCH (d:Document)-[r:REJECTED_SKILL]->(s:Skill)
RETURN d.key AS key, d.kind AS kind, d.id AS id, d.title AS title, s.id AS skillId, false AS positive,
       null AS relation, 'rejected' AS source, r.action AS action, null AS verified
