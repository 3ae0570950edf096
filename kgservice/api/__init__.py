"""The GraphQL service: Strawberry schema, per-request context and DataLoaders, served by uvicorn."""
