// How close each of some skills is to a set of other skills, for matching and skill gaps. Read.
// $ids: LIST<STRING> skills wanted (e.g. a job's). $rows: LIST<STRING> ids of the skills held (e.g. a profile's).
// Returns: id, target, relation ("exact"|"same_as"|"parent"|"child"|"sibling"|"same_group"), credit
// (1.0 exact and same_as, 0.6 parent/child, 0.5 sibling, 0.3 same group); one row per link found.
UNWIND $ids AS wantedId
MATCH (w:Skill {id: wantedId})
CALL (w) {
  MATCH (t:Skill) WHERE t = w AND t.id IN $rows
  RETURN t, 'exact' AS relation, 1.0 AS credit
  UNION
  MATCH (w)-[:SAME_AS]-(t:Skill) WHERE t.id IN $rows
  RETURN t, 'same_as' AS relation, 1.0 AS credit
  UNION
  MATCH (w)-[:BROADER]->(t:Skill) WHERE t.id IN $rows
  RETURN t, 'parent' AS relation, 0.6 AS credit
  UNION
  MATCH (w)<-[:BROADER]-(t:Skill) WHERE t.id IN $rows
  RETURN t, 'child' AS relation, 0.6 AS credit
  UNION
  MATCH (w)-[:BROADER]->(:Skill)<-[:BROADER]-(t:Skill) WHERE t <> w AND t.id IN $rows
  RETURN DISTINCT t, 'sibling' AS relation, 0.5 AS credit
  UNION
  MATCH (w)-[:IN_GROUP]->(:SkillGroup)<-[:IN_GROUP]-(t:Skill) WHERE t <> w AND t.id IN $rows
  RETURN DISTINCT t, 'same_group' AS relation, 0.3 AS credit
}
RETURN wantedId AS id, t.id AS target, relation, credit
