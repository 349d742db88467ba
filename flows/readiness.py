"""Are the backends reachable? Asked of the MCP gateway, which is the one that talks to them.

With ``BALCAO_MCP_URL`` the deployed gateway's ``/ready`` answers; in one process the
gateway object is asked directly. Either way the API never opens Odoo, Qdrant or Chatwoot.
"""

from __future__ import annotations

import httpx

from mcp_servers.gateway.assemble import Gateway
from mcp_servers.settings import Settings

READY_TIMEOUT_S = 10.0


async def backends_ready(settings: Settings, gateway: Gateway | None) -> dict[str, str]:
    """``{"redis"|"odoo"|"qdrant"|"chatwoot": "ok" | "unreachable: …"}``."""
    if settings.mcp_url:
        base = settings.mcp_url.rstrip("/").removesuffix("/mcp")
        try:
            async with httpx.AsyncClient(timeout=READY_TIMEOUT_S) as client:
                checks = (await client.get(f"{base}/ready")).json()["checks"]
            return {str(k): str(v) for k, v in checks.items()}
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            return {"mcp_gateway": f"unreachable: {type(exc).__name__}"}
    if gateway is None:
        return {"mcp_gateway": "not configured: set BALCAO_MCP_URL"}
    return await gateway.ready()
