// Benchmark read-back: current relation mentions per relationship type and polarity ('positive':
// evidence; 'negative': a pertinent negative, never evidence; null: written before polarity existed).
// Parameters: none.
// Returns: type, polarity, relation_mentions.
MATCH (rm:RelationMention)
WHERE rm.current
RETURN rm.relationship_type AS type, rm.polarity AS polarity, count(*) AS relation_mentions
ORDER BY relation_mentions DESC, type, polarity
