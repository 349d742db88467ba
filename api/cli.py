"""`balcao`: the single command-line entry point for operators.

Each room of the product adds its own sub-application here; this module only wires them.
"""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from api.catalog_cli import catalog_app, flow_app
from api.demo_cli import demo
from api.mcp_cli import mcp_app, token
from api.odoo_cli import odoo_app
from api.sandbox_cli import sandbox_app
from api.tenants_cli import tenants_app
from mcp_servers.settings import get_settings

app = typer.Typer(help="Balcão: AI sales and finance desk over Odoo, Chatwoot and Qdrant.",
                  no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(tenants_app, name="tenants")
app.add_typer(mcp_app, name="mcp")
app.add_typer(odoo_app, name="odoo")
app.add_typer(catalog_app, name="catalog")
app.add_typer(flow_app, name="flow")
app.command("demo")(demo)
app.command("token")(token)


@app.command("api")
def api(host: str = typer.Option(None, help="Bind address (default BALCAO_API_HOST)."),
        port: int = typer.Option(None, help="Port (default BALCAO_API_PORT)."),
        workers: int = typer.Option(1, min=1, help="uvicorn worker processes.")) -> None:
    """Serve the HTTP API: Chatwoot webhook, conversations, health, metrics, /docs."""
    import uvicorn

    settings = get_settings()
    uvicorn.run("api.app:app_from_env", factory=True, host=host or settings.api_host,
                port=port or settings.api_port, workers=workers, log_level="warning")


@app.command("worker")
def worker(concurrency: int = typer.Option(2, min=1, help="Parallel tasks."),
           loglevel: str = typer.Option("INFO")) -> None:
    """Run a Celery worker (flows, catalog syncs) on the Redis broker."""
    from api.worker import app as celery
    from flows.business_hours import BusinessHours, BusinessHoursError
    from mcp_servers.settings import get_settings

    settings = get_settings()
    try:  # a bad spec must stop the worker now, not fail every turn later
        BusinessHours.parse(settings.business_hours, settings.timezone)
    except (BusinessHoursError, KeyError, ValueError) as exc:
        raise typer.BadParameter(f"BALCAO_BUSINESS_HOURS/BALCAO_TIMEZONE: {exc}") from None
    celery.worker_main(["worker", f"--concurrency={concurrency}", f"--loglevel={loglevel}"])


@app.command("beat")
def beat(loglevel: str = typer.Option("INFO"),
         schedule_file: Path = typer.Option(Path("var/celerybeat-schedule"),
                                            help="Where beat remembers the last runs.")
         ) -> None:
    """Run Celery beat: every tenant's catalog sync (BALCAO_CATALOG_SYNC_INTERVAL_S) and
    daily finance report (BALCAO_FINANCE_REPORT_HOUR)."""
    from api.worker import app as celery

    schedule_file.parent.mkdir(parents=True, exist_ok=True)
    celery.start(["beat", f"--loglevel={loglevel}", f"--schedule={schedule_file}"])


@app.callback()
def main() -> None:
    """Configure logging once for every command (level from BALCAO_LOG_LEVEL)."""
    logging.basicConfig(level=get_settings().log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # one line per HTTP request is noise for operators; our own loggers say what matters
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for noisy in ("mcp.server.lowlevel.server", "crewai_core.settings", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


if __name__ == "__main__":  # pragma: no cover
    app()
