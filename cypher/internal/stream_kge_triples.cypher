// Every relationship between two concepts, as (head id, type, tail id) triples: the KGE training
// data, by business key (Concept.id), never by element id. One row per head concept carries all its
// outgoing (type, tail id) pairs: fewer, larger records stream many times faster through the driver.
// The caller streams it in one read transaction and sorts the triples itself (training must not
// depend on the order rows arrive in).
// Parameters: none. Returns: head, out (list of [type, tail id]).
MATCH (h:Concept)-[r]->(t:Concept)
WHERE h.id IS NOT NULL AND t.id IS NOT NULL
WITH h, collect([type(r), t.id]) AS out
RETURN h.id AS head, out
