// Documents (jobs, profiles, courses, posts) by key "<kind>:<id>", for the GraphQL entity loader. Read.
// $ids: LIST<STRING> document keys, e.g. "job:123". Returns: key, kind, id, title, version, modelVersion,
// updatedAt (epoch ms), language; missing keys give no row.
UNWIND $ids AS docKey
MATCH (d:Document {key: docKey})
RETURN d.key AS key, d.kind AS kind, d.id AS id, d.title AS title, d.version AS version,
       d.modelVersion AS modelVersion, d.updatedAt AS updatedAt, d.language AS language
