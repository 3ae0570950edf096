// Names of other taxonomies' skills linked SAME_AS to a skill of $taxonomy: training pairs for the
// skill linker (other name -> $taxonomy's preferred label). Read.
// $taxonomy: STRING. Returns: name (the other skill's name), id (the $taxonomy skill's id).
MATCH (s:Skill {taxonomy: $taxonomy})-[:SAME_AS]-(o:Skill)
WHERE o.taxonomy <> $taxonomy AND toLower(o.name) <> toLower(s.name)
RETURN DISTINCT o.name AS name, s.id AS id
ORDER BY id, name
