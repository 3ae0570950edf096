// Lookups by taxonomy (counts, per-taxonomy deletes) and by exact preferred name (taxonomist queries).
CREATE INDEX skill_taxonomy IF NOT EXISTS FOR (s:Skill) ON (s.taxonomy);
CREATE INDEX skill_name IF NOT EXISTS FOR (s:Skill) ON (s.name);
CREATE INDEX skill_group_taxonomy IF NOT EXISTS FOR (g:SkillGroup) ON (g.taxonomy);
CREATE INDEX occupation_taxonomy IF NOT EXISTS FOR (o:Occupation) ON (o.taxonomy);
// Full-text search over preferred names and every alias (a LIST<STRING> property).
CREATE FULLTEXT INDEX skill_names IF NOT EXISTS FOR (s:Skill) ON EACH [s.name, s.aliases];
CREATE FULLTEXT INDEX occupation_names IF NOT EXISTS FOR (o:Occupation) ON EACH [o.name, o.aliases];
