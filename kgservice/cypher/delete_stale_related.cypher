// Remove the co-occurrence RELATED_TO edges of one source that the latest build did not make (another
// generation), after merge_related_skills.cypher wrote that build's edges. Write; commits every 10,000
// deletions (an auto-commit transaction, as Graph.write runs it).
// $source: STRING ("corpus"|"documents"); $generation: STRING. Returns: deleted.
MATCH (:Skill)-[r:RELATED_TO {source: $source}]->(:Skill)
WHERE r.generation <> $generation
CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS
RETURN count(*) AS deleted
