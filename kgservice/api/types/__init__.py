"""Strawberry types of the GraphQL schema; records from ``kgservice.graph`` map onto them with ``from_record``."""
