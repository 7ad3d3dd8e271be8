"""Who may do what: API keys, roles, scopes, the key store and the FastAPI dependency."""
