// Unique keys. MERGE in the loaders only ever matches on these, so each MERGE is an index seek and
// concurrent loads cannot create duplicates. Community edition supports uniqueness only.
CREATE CONSTRAINT skill_id IF NOT EXISTS FOR (s:Skill) REQUIRE s.id IS UNIQUE;
CREATE CONSTRAINT skill_group_id IF NOT EXISTS FOR (g:SkillGroup) REQUIRE g.id IS UNIQUE;
CREATE CONSTRAINT occupation_id IF NOT EXISTS FOR (o:Occupation) REQUIRE o.id IS UNIQUE;
CREATE CONSTRAINT taxonomy_id IF NOT EXISTS FOR (t:Taxonomy) REQUIRE t.id IS UNIQUE;
