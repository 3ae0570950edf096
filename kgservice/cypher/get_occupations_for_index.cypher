// Labels of every occupation, for the occupation title index (kgservice index build). Read.
// No parameters. Returns: id, name, aliases (LIST<STRING>).
MATCH (o:Occupation)
RETURN o.id AS id, o.name AS name, coalesce(o.aliases, []) AS aliases
ORDER BY id
