// Weighted related skills from co-occurrence (kgservice/related/cooccurrence.py). Write.
// $rows: LIST<MAP> of {skillId, relatedId, weight: FLOAT (shrunk NPMI, 0-1), count: FLOAT (weighted
// co-occurrences), documents: INTEGER (documents naming both)}. $source: STRING, where the counts come from
// ("corpus": the vendored SkillSpan and SkillSkape text; "documents": the graph's documents). $generation:
// STRING, the digest of the whole edge set, so delete_stale_related.cypher can drop edges a rebuild no longer makes.
// One edge per (skill, related skill, source); a rerun with the same edges rewrites the same values.
// Returns: written.
UNWIND $rows AS row
MATCH (a:Skill {id: row.skillId})
MATCH (b:Skill {id: row.relatedId})
MERGE (a)-[r:RELATED_TO {source: $source}]->(b)
SET r.weight = row.weight, r.count = row.count, r.documents = row.documents, r.generation = $generation
RETURN count(r) AS written
