"""Everything that talks to Neo4j: the server this project can start, the driver owner, named Cypher."""
