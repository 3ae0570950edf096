// Skills to write to when warming the server's write path (kgservice neo4j warm): the ones documents
// link to most first, since nearline writes touch those dense nodes most. Read.
// $limit: INTEGER. Returns: id.
MATCH (s:Skill)
RETURN s.id AS id
ORDER BY COUNT { (s)<-[:HAS_SKILL]-() } DESC
LIMIT $limit
