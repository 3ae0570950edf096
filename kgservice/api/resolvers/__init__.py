"""Query and mutation resolvers, one module per area; ``api/schema.py`` merges them with ``merge_types``."""
