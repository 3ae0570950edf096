// The effective skills of many documents: every HAS_SKILL edge (extraction, feedback, assessment) folded
// into one row per skill, minus skills with a REJECTED_SKILL feedback edge. Read.
// $ids: LIST<STRING> document keys ("job:123"). Returns: key, skillId, taxonomy, name, score, relation,
// method, section, modelVersion, updatedAt, language, sources (LIST<STRING>), verified (BOOLEAN), percentile;
// feedback overrides extraction, extraction overrides assessment; highest score first per document.
UNWIND $ids AS docKey
MATCH (d:Document {key: docKey})-[h:HAS_SKILL]->(s:Skill)
WHERE NOT EXISTS { (d)-[:REJECTED_SKILL]->(s) }
WITH docKey, s, collect(h) AS edges
WITH docKey, s, edges,
     [e IN edges WHERE e.source = 'feedback'] + [e IN edges WHERE e.source = 'extraction'] +
     [e IN edges WHERE e.source = 'assessment'] AS ranked,
     [e IN edges WHERE e.source = 'assessment'] AS assessed
WITH docKey, s, edges, ranked[0] AS best, assessed[0] AS assessment
RETURN docKey AS key, s.id AS skillId, s.taxonomy AS taxonomy, s.name AS name, best.score AS score,
       best.relation AS relation, best.method AS method, best.section AS section,
       best.modelVersion AS modelVersion, best.updatedAt AS updatedAt, best.language AS language,
       [e IN edges | e.source] AS sources, coalesce(assessment.verified, false) AS verified,
       assessment.percentile AS percentile
ORDER BY key, score DESC, name
