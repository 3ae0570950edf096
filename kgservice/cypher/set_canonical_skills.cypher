// One skill per concept: every skill of $taxonomy gets `canonical`, the id of its SAME_AS twin that
// stands for it in results (the loader picks one per skill), or loses it when it has none now, so a
// reload with other links leaves no stale twin. Write.
// $taxonomy: STRING; $twins: MAP of skill id -> canonical skill id. Returns: canonical (count set).
MATCH (s:Skill {taxonomy: $taxonomy})
SET s.canonical = $twins[s.id]
RETURN count(s.canonical) AS canonical
