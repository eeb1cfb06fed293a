// One user of the web application, for a login and for each request of a session (no row when unknown).
// Parameters: $user.
// Returns: name, role, password_hash, disabled.
MATCH (u:WebUser {name: $user})
RETURN u.name AS name, u.role AS role, u.password_hash AS password_hash, coalesce(u.disabled, false) AS disabled
