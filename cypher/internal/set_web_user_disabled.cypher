// Disable or enable a user of the web application (a disabled user cannot log in, and open sessions end).
// Parameters: $user, $disabled (boolean).
// Returns: name, disabled (no row when there is no such user).
MATCH (u:WebUser {name: $user})
SET u.disabled = $disabled, u.disabled_at = CASE WHEN $disabled THEN datetime() ELSE null END
RETURN u.name AS name, u.disabled AS disabled
