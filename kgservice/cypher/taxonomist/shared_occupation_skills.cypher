// Skills two occupations both require, with how each requires them. Read.
// $a, $b: occupation ids or exact preferred names.
// Returns: skill, taxonomy, relationA, relationB ("essential"|"optional").
MATCH (oa:Occupation) WHERE oa.id = $a OR oa.name = $a
MATCH (ob:Occupation) WHERE ob.id = $b OR ob.name = $b
MATCH (oa)-[ra:REQUIRES_SKILL]->(s:Skill)<-[rb:REQUIRES_SKILL]-(ob)
RETURN s.name AS skill, s.taxonomy AS taxonomy, ra.relation AS relationA, rb.relation AS relationB
ORDER BY relationA, relationB, skill
