// How big each taxonomy is: skills per taxonomy, and groups per taxonomy and level. Read.
// No parameters. Returns: taxonomy, kind ("skill" or "group level N"), count.
MATCH (s:Skill)
RETURN s.taxonomy AS taxonomy, 'skill' AS kind, count(*) AS count
UNION ALL
MATCH (g:SkillGroup)
RETURN g.taxonomy AS taxonomy, 'group level ' + toString(g.level) AS kind, count(*) AS count
UNION ALL
MATCH (o:Occupation)
RETURN o.taxonomy AS taxonomy, 'occupation' AS kind, count(*) AS count
