// People's feedback counted per document kind, skill and section kind, for the scorer's feedback prior
// (kgservice/pipeline/feedback_prior.py). Read. No parameters.
// Positive: a recruiter's accept or add (HAS_SKILL source 'feedback', found through index has_skill_source);
// negative: a recruiter's remove or a job seeker's not-relevant flag on their profile (REJECTED_SKILL).
// section: the section of the document's extraction edge to the skill, null when the extraction did not
// find it (an added skill). Returns: kind, skillId, section, positive (INTEGER), negative (INTEGER).
MATCH (d:Document)-[f:HAS_SKILL]->(s:Skill)
WHERE f.source = 'feedback'
OPTIONAL MATCH (d)-[e:HAS_SKILL {source: 'extraction'}]->(s)
RETURN d.kind AS kind, s.id AS skillId, e.section AS section, count(*) AS positive, 0 AS negative
UNION ALL
MATCH (d:Document)-[:REJECTED_SKILL]->(s:Skill)
OPTIONAL MATCH (d)-[e:HAS_SKILL {source: 'extraction'}]->(s)
RETURN d.kind AS kind, s.id AS skillId, e.section AS section, 0 AS positive, count(*) AS negative
