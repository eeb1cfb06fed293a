// Records per status (null: written by another writer and not adopted yet, counted as NEW by the
// caller), and how many PROCESSING ones hold an expired lease.
// Parameters: none.
// Returns: status, count, expired.
MATCH (e:EMR)
RETURN e.status AS status, count(*) AS count,
       count(CASE WHEN e.status = 'PROCESSING' AND e.lease_until < datetime() THEN 1 END) AS expired
