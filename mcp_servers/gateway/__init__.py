"""One MCP endpoint for every backend: mounts, auth, roles, domain scoping."""
