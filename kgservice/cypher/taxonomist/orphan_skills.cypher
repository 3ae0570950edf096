// Skills attached to nothing: no group, no broader or narrower skill. Candidates for curation. Read.
// $taxonomy: a taxonomy id ("esco", "lightcast") or null for all. $limit: INTEGER.
// Returns: id, taxonomy, name.
MATCH (s:Skill)
WHERE ($taxonomy IS NULL OR s.taxonomy = $taxonomy)
  AND NOT (s)-[:IN_GROUP]->()
  AND NOT (s)-[:BROADER]-()
RETURN s.id AS id, s.taxonomy AS taxonomy, s.name AS name
ORDER BY taxonomy, name
LIMIT $limit
