// `medkg demo --clean`: the demo's records (EMR.source = $source) with their mentions, the mentions'
// links and their relation mentions. Returns what the caller recomputes or tidies next: the facts
// whose record evidence those relation mentions carried, and the candidate concepts the mentions
// referred to (removed later when nothing else refers to them). Pertinent negatives (polarity
// 'negative') carried no evidence, so their facts are not listed.
// Parameters: $source.
// Returns: records, mentions, relation_mentions, facts (list of {key, extractor}), candidates (ids).
MATCH (e:EMR {source: $source})
WITH collect(e) AS records
CALL (records) {
  UNWIND records AS e
  MATCH (rm:RelationMention {record_id: e.id})
  WITH collect(rm) AS found,
       collect(DISTINCT CASE WHEN rm.fact_key IS NOT NULL AND coalesce(rm.polarity, 'positive') = 'positive'
                             THEN {key: rm.fact_key, extractor: rm.extractor} END)
         AS facts
  FOREACH (rm IN found | DETACH DELETE rm)
  RETURN size(found) AS relation_mentions, facts
}
CALL (records) {
  UNWIND records AS e
  MATCH (e)-[:HAS_MENTION]->(m:Mention)
  OPTIONAL MATCH (m)-[:REFERS_TO]->(c:Concept {status: 'candidate'})
  WITH collect(DISTINCT m) AS found, collect(DISTINCT c.id) AS candidates
  FOREACH (m IN found | DETACH DELETE m)
  RETURN size(found) AS mentions, candidates
}
FOREACH (e IN records | DETACH DELETE e)
RETURN size(records) AS records, mentions, relation_mentions, facts, candidates
