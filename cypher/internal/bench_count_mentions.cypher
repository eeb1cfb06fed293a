// Benchmark read-back: mentions per state (current or superseded), type and assertion. A null
// certainty, temporality or experiencer is a mention no assertion step has seen (written before there
// was one); the caller reports those as 'unknown'.
// Parameters: none.
// Returns: current, type, certainty, temporality, experiencer, mentions.
MATCH (m:Mention)
RETURN coalesce(m.current, false) AS current, m.type AS type, m.certainty AS certainty,
       m.temporality AS temporality, m.experiencer AS experiencer, count(*) AS mentions
ORDER BY current DESC, type, certainty, temporality, experiencer
