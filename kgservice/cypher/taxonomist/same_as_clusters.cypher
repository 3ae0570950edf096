// Clusters of skills the SAME_AS links join across taxonomies, largest first. Read.
// $limit: INTEGER. Returns: anchor (an ESCO-side name), size, members ("taxonomy:name" list), via.
MATCH (a:Skill)-[r:SAME_AS]->(b:Skill)
WITH a, collect(b.taxonomy + ':' + b.name) AS matches, collect(DISTINCT r.via) AS via
RETURN a.taxonomy + ':' + a.name AS anchor, size(matches) + 1 AS size, matches AS members, via
ORDER BY size DESC, anchor
LIMIT $limit
