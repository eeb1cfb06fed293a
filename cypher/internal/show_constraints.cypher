// The database's constraints.
// Parameters: none. Returns: name, type, labelsOrTypes, properties.
SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties
RETURN name, type, labelsOrTypes, properties
ORDER BY name
