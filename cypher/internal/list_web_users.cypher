// Every user of the web application, by name, without the password hash.
// Parameters: none.
// Returns: name, role, disabled, created_at, password_changed_at.
MATCH (u:WebUser)
RETURN u.name AS name, u.role AS role, coalesce(u.disabled, false) AS disabled,
       toString(u.created_at) AS created_at, toString(u.password_changed_at) AS password_changed_at
ORDER BY name
