"""`balcao sandbox chatwoot`: run the embedded Chatwoot in the foreground."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

console = Console(stderr=True)


def chatwoot(
    port: int = typer.Option(3000, help="Port (Chatwoot's own default is 3000)."),
    host: str = typer.Option("127.0.0.1", help="Bind address (default loopback)."),
    data_dir: Path | None = typer.Option(
        None, help="Keep the state in DIR/chatwoot-sandbox.json (default: in memory)."),
    webhook_url: str | None = typer.Option(
        None, help="POST signed message_created/message_updated events here."),
    webhook_secret: str | None = typer.Option(
        None, help="HMAC secret for X-Chatwoot-Signature (default: the demo secret)."),
) -> None:
    """Serve the embedded Chatwoot (the conversation API a reply bot uses) with demo data."""
    from sandbox.chatwoot import DEMO_WEBHOOK_SECRET, EmbeddedChatwoot

    server = EmbeddedChatwoot(data_dir, host=host, port=port, webhook_url=webhook_url,
                              webhook_secret=webhook_secret or DEMO_WEBHOOK_SECRET)
    console.print(f"[bold]embedded Chatwoot[/] account [cyan]{server.account_id}[/] at "
                  f"[green]{server.url}[/] (data: {data_dir or 'in memory'}); Ctrl-C stops it")
    console.print(f"  user token (Carla, agent): [cyan]{server.user_token}[/]")
    console.print(f"  agent-bot token (bot 2):   [cyan]{server.bot_token}[/]")
    if webhook_url:
        console.print(f"  webhooks → {webhook_url} (secret "
                      f"[cyan]{webhook_secret or DEMO_WEBHOOK_SECRET}[/])")
    try:
        server.serve_forever()
    finally:
        server.store.save()
