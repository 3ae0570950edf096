// Loaded taxonomies and their versions. Read. Returns: id, name, version, source, skills, groups, loadedAt.
MATCH (t:Taxonomy)
RETURN t.id AS id, t.name AS name, t.version AS version, t.source AS source,
       t.skills AS skills, t.groups AS groups, toString(t.loadedAt) AS loadedAt
ORDER BY id
