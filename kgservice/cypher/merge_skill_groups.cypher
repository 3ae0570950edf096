// Upsert skill groups by id. Write.
// $rows: list of {id, taxonomy, code, name, level: INTEGER (0 = pillar/category), uri}.
UNWIND $rows AS row
MERGE (g:SkillGroup {id: row.id})
SET g.taxonomy = row.taxonomy,
    g.code = row.code,
    g.name = row.name,
    g.level = row.level,
    g.uri = row.uri
