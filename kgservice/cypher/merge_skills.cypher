// Upsert skills by id. Write.
// $rows: list of {id, taxonomy, sourceId, name, aliases: LIST<STRING>, description, type, uri}.
UNWIND $rows AS row
MERGE (s:Skill {id: row.id})
SET s.taxonomy = row.taxonomy,
    s.sourceId = row.sourceId,
    s.name = row.name,
    s.aliases = row.aliases,
    s.description = row.description,
    s.type = row.type,
    s.uri = row.uri
