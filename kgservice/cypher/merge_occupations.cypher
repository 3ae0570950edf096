// Upsert occupations by id. Write.
// $rows: list of {id, taxonomy, code, name, aliases: LIST<STRING>, description, uri}.
UNWIND $rows AS row
MERGE (o:Occupation {id: row.id})
SET o.taxonomy = row.taxonomy,
    o.code = row.code,
    o.name = row.name,
    o.aliases = row.aliases,
    o.description = row.description,
    o.uri = row.uri
