"""Related skills: co-occurrence counts, the corpora they come from, and the RELATED_TO edges they make."""
