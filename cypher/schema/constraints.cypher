// Uniqueness constraints on the business key `id` of every node kind in the graph model.
// Parameters: none. Returns: nothing. Idempotent (IF NOT EXISTS).
CREATE CONSTRAINT concept_id IF NOT EXISTS FOR (n:Concept) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT emr_id IF NOT EXISTS FOR (n:EMR) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT mention_id IF NOT EXISTS FOR (n:Mention) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT relation_mention_id IF NOT EXISTS FOR (n:RelationMention) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT extractor_id IF NOT EXISTS FOR (n:Extractor) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT run_id IF NOT EXISTS FOR (n:Run) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT embedding_run_id IF NOT EXISTS FOR (n:EmbeddingRun) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT curation_action_id IF NOT EXISTS FOR (n:CurationAction) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT pruned_triple_id IF NOT EXISTS FOR (n:PrunedTriple) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT kg_source_id IF NOT EXISTS FOR (n:KGSource) REQUIRE n.id IS UNIQUE;
