// The INVALID records (nodes that break the (:EMR {id, text}) contract), newest first, with what
// identifies them: the id when it is a string, else the elementId (for display only, never a key)
// and the start of the text.
// Parameters: $limit.
// Returns: id (null when not a string), element_id (null when the id is a string), error, invalid_at,
//   text_start (first 30 characters, when the text is a string), source.
MATCH (e:EMR {status: 'INVALID'})
RETURN CASE WHEN e.id IS :: STRING NOT NULL THEN e.id END AS id,
       CASE WHEN e.id IS :: STRING NOT NULL THEN null ELSE elementId(e) END AS element_id,
       e.error AS error, e.invalid_at AS invalid_at,
       CASE WHEN e.text IS :: STRING NOT NULL THEN left(e.text, 30) END AS text_start,
       CASE WHEN e.source IS :: STRING NOT NULL THEN e.source END AS source
ORDER BY invalid_at DESC, element_id, id
LIMIT $limit
