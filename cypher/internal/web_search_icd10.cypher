// The web application's search by ICD-10 code: concepts whose `icd10` list (CMeKG's ICD10 facts) holds the
// code itself or a code under it (E11 finds E11 and E11.9), optionally of one type label. Codes are compared in
// upper case; the caller upper-cases $code and only sends text shaped like a code.
// Parameters: $code, $type (a concept label or null), $limit.
// Returns: id, code (the first matching code), exact (a code equals $code).
MATCH (c:Concept)
WHERE c.icd10 IS NOT NULL AND ($type IS NULL OR $type IN labels(c))
WITH c, [x IN c.icd10 WHERE toUpper(x) = $code OR toUpper(x) STARTS WITH $code + '.'] AS codes
WHERE size(codes) > 0
RETURN c.id AS id, codes[0] AS code, any(x IN codes WHERE toUpper(x) = $code) AS exact
ORDER BY exact DESC, code, id
LIMIT $limit
