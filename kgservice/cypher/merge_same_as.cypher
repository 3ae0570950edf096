// Cross-taxonomy equivalence between skills whose normalized labels or aliases match. Write.
// $rows: list of {source, target, via: "label"|"alias", rule: "exact"|"variant"|"qualifier"|"alias"};
// direction is source taxonomy -> target taxonomy.
UNWIND $rows AS row
MATCH (a:Skill {id: row.source})
MATCH (b:Skill {id: row.target})
MERGE (a)-[r:SAME_AS]->(b)
SET r.via = row.via, r.rule = row.rule
