// Replace the password hash of a user of the web application.
// Parameters: $user, $password_hash (argon2, never the password).
// Returns: name (no row when there is no such user).
MATCH (u:WebUser {name: $user})
SET u.password_hash = $password_hash, u.password_changed_at = datetime()
RETURN u.name AS name
