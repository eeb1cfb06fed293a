// Per relationship type between concepts: count and sums of confidence, evidence and sources. Two graphs
// built from the same sources two ways (MERGE path, bulk import) must agree (the bulk benchmark and test).
// Parameters: none.
// Returns: type, relationships, confidence, evidence, sources.
MATCH (:Concept)-[r]->(:Concept)
RETURN type(r) AS type, count(r) AS relationships, round(sum(r.confidence), 6) AS confidence,
       sum(r.evidence_count) AS evidence, sum(size(r.sources)) AS sources
ORDER BY type
