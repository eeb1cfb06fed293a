// Create a user of the web application unless one of that name exists (the name is the unique key);
// an existing user is left as it is, so the caller can refuse a second `medkg users add`.
// Parameters: $user, $role ('viewer' | 'curator'), $password_hash (argon2, never the password).
// Returns: name, role, created (false when the name was taken).
MERGE (u:WebUser {name: $user})
  ON CREATE SET u.role = $role, u.password_hash = $password_hash, u.disabled = false,
                u.created_at = datetime(), u.password_changed_at = datetime(), u._created = true
WITH u, coalesce(u._created, false) AS created
REMOVE u._created
RETURN u.name AS name, u.role AS role, created
