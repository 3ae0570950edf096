"""kgservice: find skills in text, link them to a skills taxonomy held in Neo4j, write scored edges."""

__version__ = "0.1.0"
