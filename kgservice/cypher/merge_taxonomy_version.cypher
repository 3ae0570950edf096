// Record which taxonomy version is loaded, so artifacts built from the graph can check they match. Write.
// $id, $name, $version, $source, $skills (INTEGER), $groups (INTEGER).
MERGE (t:Taxonomy {id: $id})
SET t.name = $name,
    t.version = $version,
    t.source = $source,
    t.skills = $skills,
    t.groups = $groups,
    t.loadedAt = datetime()
