// Write one or many documents and their extracted skills in one transaction. Write.
// $rows: LIST<MAP>, one per document, of {key: "<kind>:<id>", kind: "job"|"profile"|"course"|"post", label: "Job"|"Profile"|
// "Course"|"Post", id, title, version: INTEGER (monotonic, e.g. edit time in ms), modelVersion,
// updatedAt: INTEGER epoch ms, language: STRING|null (ISO 639-1), skills: LIST<MAP> of {skillId, score, relation, method, section}}.
// The document's lock is taken (SET then REMOVE of _lock) before its stored version is read: without
// it two writers of one document both read the old version and the older one could commit last.
// A doc whose stored version is newer than its own is left alone. For the others, the document's
// extraction edges (source 'extraction') to skills no longer extracted are deleted and the rest are
// merged, so readers never see the document without skills and a repeated write creates nothing.
// Edges from feedback or assessments are never touched.
// Returns: key, applied (BOOLEAN), written (INTEGER, extraction edges now on the document), storedVersion.
// replan=skip: the plan is index-driven (unique key, skill ids), so statistics never change it, but
// as Document counts moved Neo4j replanned it every few minutes, ~130 ms a time on 2 cores, inside
// a nearline write (README, Nearline).
CYPHER replan=skip
UNWIND $rows AS doc
MERGE (d:Document {key: doc.key})
  ON CREATE SET d.kind = doc.kind, d.id = doc.id
SET d._lock = true
REMOVE d._lock
WITH d, doc, d.version AS stored
WITH d, doc, stored, (stored IS NULL OR stored <= doc.version) AS applied
OPTIONAL CALL (d, doc, applied) {
  WITH d, doc, applied WHERE applied
  SET d:$(doc.label), d.title = doc.title, d.version = doc.version, d.modelVersion = doc.modelVersion,
      d.updatedAt = doc.updatedAt, d.language = doc.language
  WITH d, doc, [k IN doc.skills | k.skillId] AS keep
  CALL (d, keep) {
    MATCH (d)-[old:HAS_SKILL {source: 'extraction'}]->(s:Skill)
    WHERE NOT s.id IN keep
    DELETE old
  }
  CALL (d, doc) {
    UNWIND doc.skills AS k
    MATCH (s:Skill {id: k.skillId})
    MERGE (d)-[h:HAS_SKILL {source: 'extraction'}]->(s)
    SET h.score = k.score, h.relation = k.relation, h.method = k.method, h.section = k.section,
        h.modelVersion = doc.modelVersion, h.updatedAt = doc.updatedAt, h.language = doc.language
    RETURN count(h) AS written
  }
  RETURN written
}
RETURN doc.key AS key, applied, coalesce(written, 0) AS written,
       CASE WHEN applied THEN doc.version ELSE stored END AS storedVersion
