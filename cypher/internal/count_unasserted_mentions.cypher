// Current mentions without an assertion (written before the assertion step, or with no assertion plugin
// enabled): the analysts' queries count them as certainty 'unknown' and say how many there are.
// Parameters: none.
// Returns: mentions.
MATCH (m:Mention)
WHERE m.current AND m.certainty IS NULL
RETURN count(m) AS mentions
