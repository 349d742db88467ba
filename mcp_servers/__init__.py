"""MCP servers: the only code that talks to Odoo, Qdrant and Chatwoot."""
