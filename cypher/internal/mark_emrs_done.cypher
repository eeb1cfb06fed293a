// Last statement of a batch's write transaction: the records whose facts were just written are DONE
// (in the same transaction, so a record is DONE if and only if its facts are in the graph).
// Parameters: $rows: list of {id, sha256, mentions, relations}; $run_id.
// Returns: done.
UNWIND $rows AS row
MATCH (e:EMR {id: row.id})
WHERE e.lease_run = $run_id
SET e.status = 'DONE', e.processed_at = datetime(), e.last_run = $run_id, e.error = null, e.last_error = null,
    e.sha256 = coalesce(e.sha256, row.sha256), e.mention_count = row.mentions, e.relation_count = row.relations,
    e.lease_owner = null, e.lease_until = null, e.lease_run = null, e.retry_after = null
RETURN count(e) AS done
