// One page of a group's skills (IN_GROUP members), by name. Read.
// $id: group id ("esco:S1.2.0"). $offset, $limit: INTEGER. Returns: id, taxonomy, name, aliases, description,
// type, uri, total (INTEGER: the group's members), ordered by name then id; no row when the group has none.
MATCH (g:SkillGroup {id: $id})<-[:IN_GROUP]-(s:Skill)
WITH s ORDER BY s.name, s.id
WITH collect(s) AS members
UNWIND members[$offset..$offset + $limit] AS s
RETURN s.id AS id, s.taxonomy AS taxonomy, s.name AS name, coalesce(s.aliases, []) AS aliases,
       s.description AS description, s.type AS type, s.uri AS uri, size(members) AS total
