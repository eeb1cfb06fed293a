"""The database: settings, the Neo4j connection, the embedded server and its Java launcher, Cypher files."""
