// The database's indexes with their state.
// Parameters: none. Returns: name, type, labelsOrTypes, properties, state.
SHOW INDEXES YIELD name, type, labelsOrTypes, properties, state
RETURN name, type, labelsOrTypes, properties, state
ORDER BY name
