"""`balcao flow finance` (and `python -m flows.financial_analysis`): the analyst's command.

One rich progress bar per stage, then the headline figures and the files written.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from flows.mcp_client import FlowToolError
from flows.run_events import RunEvent
from mcp_servers.settings import get_settings

console = Console(stderr=True)
app = typer.Typer(add_completion=False)


@app.command()
def finance(tenant: str = typer.Option("", help="Tenant (default BALCAO_DEFAULT_TENANT)."),
            company: str = typer.Option("all", help="Company id (1, 2, …) or 'all'."),
            as_of: str = typer.Option("", "--as-of", help="Date YYYY-MM-DD (default today)."),
            period: str = typer.Option("monthly", help="monthly or quarterly."),
            out: Path = typer.Option(Path("reports"), help="Directory for the report files."),
            language: str = typer.Option("pt", help="Narrative language: pt or en."),
            plot: bool = typer.Option(False, help="Also write the flow's diagram "
                                                  "(flow/flow.html) to --out.")) -> None:
    """Receivables, payables, overdue, DSO, cash projection and payment risk, as
    report.json, report.md and report.html with charts."""
    from flows.financial_analysis import FinanceInputs, FinancialAnalysisFlow, run

    settings = get_settings()
    try:
        inputs = FinanceInputs(tenant=tenant, company=company, as_of=as_of, period=period,
                               out=str(out), language=language).checked(settings)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    bars: dict[str, TaskID] = {}
    with Progress(TextColumn("{task.description:<18}"), BarColumn(),
                  TextColumn("{task.fields[note]}"), TimeElapsedColumn(),
                  console=console) as progress:
        def show(event: RunEvent) -> None:
            if event.type != "stage":
                return
            for name, bar in bars.items():  # a new stage completes the ones before it
                if name != event.stage:
                    progress.update(bar, completed=1.0)
            if event.stage not in bars:
                bars[event.stage] = progress.add_task(event.stage, total=1.0, note="")
            progress.update(bars[event.stage], completed=event.data.get("within", 0.0),
                            note=event.message)
        try:
            report = run(inputs, settings=settings, emit=show)
        except FlowToolError as exc:
            console.print(f"[red]finance analysis failed[/]: {exc}")
            raise typer.Exit(1) from None
        for bar in bars.values():
            progress.update(bar, completed=1.0)
    if plot:  # CrewAI writes the page and its script beside each other in a temp dir
        page = Path(FinancialAnalysisFlow(settings).plot("flow.html", show=False))
        shutil.copytree(page.parent, out / "flow", dirs_exist_ok=True)
        console.print(f"flow diagram: {out / 'flow' / 'flow.html'} (fonts and icons load "
                      "from public CDNs when opened in a browser)")
    rec, pay = report["receivables"], report["payables"]
    console.print(f"receivables open R$ {rec['open_total']:,.2f}, overdue "
                  f"R$ {rec['overdue_total']:,.2f} · payables open R$ {pay['open_total']:,.2f}, "
                  f"overdue R$ {pay['overdue_total']:,.2f} · DSO {report['dso']['days']} days "
                  f"· narrative: {report['narrative']['written_by']}")
    for name in report["files"]:
        typer.echo(out / name)
