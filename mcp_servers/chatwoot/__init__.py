"""The Chatwoot MCP server: conversation tools over Chatwoot's REST API (``client.py``),
tool logic in ``server.py``, FastMCP registration in ``app.py``."""
