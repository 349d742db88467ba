"""How long the financial report takes, by stage, on the demo ledger and a bigger one.

    .venv/bin/python -m bench.finance_report [--scales 1,20] [--runs 3]

For each scale the embedded Odoo gets the demo's 707 invoices and bills (times the scale,
same partners and dates) and the flow runs end to end through the in-process MCP gateway;
the stage events time each stage. "report" is fetching (MCP → Odoo over JSON-RPC) plus
computing; rendering (charts and HTML) is apart, as is writing JSON/Markdown.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from itertools import pairwise
from pathlib import Path

from pydantic import SecretStr

from flows.financial_analysis import STAGES, FinanceInputs, run
from flows.run_events import RunEvent
from mcp_servers.gateway.assemble import Gateway
from mcp_servers.settings import Settings
from sandbox.odoo import EmbeddedOdoo
from sandbox.odoo.demo_data import scale_ledger
from sandbox.odoo.security import demo_api_key

FETCH = ("fetch_receivables", "fetch_payables", "fetch_history")


def timed_run(settings: Settings, gateway: Gateway, out: Path) -> tuple[dict[str, float], int]:
    marks: list[tuple[str, float]] = []
    tools = 0

    def listen(event: RunEvent) -> None:
        nonlocal tools
        tools += event.type == "tool"
        if event.type == "stage" and (not marks or marks[-1][0] != event.stage):
            marks.append((event.stage, time.perf_counter()))

    run(FinanceInputs(company="all", as_of="2026-11-20", out=str(out)), settings=settings,
        gateway=gateway, emit=listen)
    marks.append(("end", time.perf_counter()))
    seconds = {stage: end - start for (stage, start), (_n, end) in pairwise(marks)}
    return seconds, tools


def bench_scale(scale: int, runs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        server = EmbeddedOdoo(Path(tmp) / "odoo")
        moves = len(server.db.tables["account.move"])
        if scale > 1:
            moves += scale_ledger(server.db, scale)
        with server:
            settings = Settings(_env_file=None, odoo_url=server.url,
                                odoo_secret=SecretStr(demo_api_key("admin")),
                                tenants_file=Path(tmp) / "none.json",
                                qdrant_path=Path(":memory:"), audit_dir=Path(tmp) / "audit")
            gateway = Gateway(settings, http=False, default_role="viewer")
            timed_run(settings, gateway, Path(tmp) / "warmup")  # imports, first connection
            samples = [timed_run(settings, gateway, Path(tmp) / f"r{i}") for i in range(runs)]
    median = {stage: statistics.median(s[0][stage] for s in samples) for stage in STAGES}
    median["fetch"] = sum(median[s] for s in FETCH)
    median["report"] = median["fetch"] + median["compute"]
    median["moves"] = moves
    median["tool_calls"] = samples[0][1]
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", default="1,20", help="Ledger sizes (× the demo's).")
    parser.add_argument("--runs", type=int, default=3, help="Measured runs per scale.")
    args = parser.parse_args()
    rows = [(scale, bench_scale(scale, args.runs))
            for scale in (int(s) for s in args.scales.split(","))]
    head = (f"{'ledger':>8} {'moves':>6} {'MCP calls':>9} {'fetch s':>8} {'compute s':>9} "
            f"{'report s':>8} {'narrate+write s':>15} {'render s':>8}")
    print(f"financial report, company=all, as of 2026-11-20, median of {args.runs} runs")
    print(head)
    for scale, m in rows:
        print(f"{f'{scale}x':>8} {m['moves']:>6.0f} {m['tool_calls']:>9.0f} {m['fetch']:>8.3f} "
              f"{m['compute']:>9.4f} {m['report']:>8.3f} "
              f"{m['narrate'] + m['write']:>15.4f} {m['render']:>8.3f}")
    if len(rows) > 1:
        (s0, a), (s1, b) = rows[0], rows[-1]
        print(f"growth {s0}x → {s1}x: report ×{b['report'] / a['report']:.1f}, "
              f"fetch ×{b['fetch'] / a['fetch']:.1f}, compute ×{b['compute'] / a['compute']:.1f}"
              f", render ×{b['render'] / a['render']:.2f}")
    print("fetch by stage (s): " + "; ".join(
        f"{scale}x " + ", ".join(f"{st} {m[st]:.3f}" for st in FETCH) for scale, m in rows))


if __name__ == "__main__":
    main()
