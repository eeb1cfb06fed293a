// Secondary indexes: EMR.status (the watcher's queue), Run.status (the open runs every claim looks at),
// Concept.name (lookups by name),
// RelationMention.record_id and .fact_key (superseding a record's facts, recomputing a fact's evidence),
// PrunedTriple.pruned_key (the watcher's check for a relationship a curator pruned), and a
// full-text index over concept names and aliases (fuzzy search for analysts and the linker).
// Parameters: none. Returns: nothing. Idempotent (IF NOT EXISTS).
CREATE INDEX emr_status IF NOT EXISTS FOR (n:EMR) ON (n.status);
CREATE INDEX run_status IF NOT EXISTS FOR (n:Run) ON (n.status);
CREATE INDEX concept_name IF NOT EXISTS FOR (n:Concept) ON (n.name);
CREATE FULLTEXT INDEX concept_names IF NOT EXISTS FOR (n:Concept) ON EACH [n.name, n.aliases]
  OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk'}};
CREATE INDEX relation_mention_record IF NOT EXISTS FOR (n:RelationMention) ON (n.record_id);
CREATE INDEX relation_mention_fact IF NOT EXISTS FOR (n:RelationMention) ON (n.fact_key);
CREATE INDEX pruned_triple_key IF NOT EXISTS FOR (n:PrunedTriple) ON (n.pruned_key);
