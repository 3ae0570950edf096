// Add derived aliases to skills (short forms a label spells out: "GCP" for "Google Cloud Platform
// (GCP)", "k8s" for Kubernetes), keeping the source's own. Write; idempotent.
// $rows: list of {id, aliases: LIST<STRING>}. Returns: skills (count touched).
UNWIND $rows AS row
MATCH (s:Skill {id: row.id})
SET s.aliases = [a IN coalesce(s.aliases, []) WHERE NOT a IN row.aliases] + row.aliases
RETURN count(s) AS skills
