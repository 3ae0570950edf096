// Every skill's label and aliases with how widely it is used, for the in-memory autocomplete behind
// suggestSkills (kgservice/graph/skill_suggester.py). Read. No parameters.
// Returns: id, taxonomy, name, aliases (LIST<STRING>), canonical (the twin that stands for the skill in
// results, or null), documents (INTEGER: documents with the skill), occupations (INTEGER: occupations
// that require it), children (INTEGER: skills with it as BROADER parent).
MATCH (s:Skill)
RETURN s.id AS id, s.taxonomy AS taxonomy, s.name AS name, coalesce(s.aliases, []) AS aliases,
       s.canonical AS canonical,
       COUNT { (s)<-[:HAS_SKILL]-(:Document) } AS documents,
       COUNT { (s)<-[:REQUIRES_SKILL]-(:Occupation) } AS occupations,
       COUNT { (s)<-[:BROADER]-(:Skill) } AS children
