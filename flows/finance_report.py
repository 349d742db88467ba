"""The financial report's files: ``report.json``, ``report.md``, charts and ``report.html``.

``write`` puts down the machine-readable figures and the Markdown; ``render`` draws the
charts (matplotlib, Agg: no display) as PNG files and the HTML page, which embeds them so
it can be mailed or opened alone.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

from crews.financial_analysis.narrative import brl

CHARTS = {"ageing.png": "Ageing of receivables and payables",
          "revenue_expenses.png": "Revenue vs expenses",
          "cash_projection.png": "Cash projection by due date"}
BUCKETS = ("current", "1-30", "31-60", "61-90", ">90")


def write(report: dict[str, Any], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2),
                                     encoding="utf-8")
    (out / "report.md").write_text(markdown(report), encoding="utf-8")
    return [out / "report.json", out / "report.md"]


def render(report: dict[str, Any], out: Path) -> list[Path]:
    charts = draw_charts(report, out)
    (out / "report.html").write_text(page(report, charts), encoding="utf-8")
    return [*charts, out / "report.html"]


def draw_charts(report: dict[str, Any], out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    paths = []
    fig, ax = plt.subplots(figsize=(7, 3.6))
    x = range(len(BUCKETS))
    ax.bar([i - 0.2 for i in x], [report["receivables"]["ageing"][b] for b in BUCKETS], 0.4,
           label="Receivables", color="#2e7d32")
    ax.bar([i + 0.2 for i in x], [report["payables"]["ageing"][b] for b in BUCKETS], 0.4,
           label="Payables", color="#c62828")
    ax.set_xticks(list(x), [f"{b} days" if b != "current" else b for b in BUCKETS])
    ax.set_ylabel("R$")
    ax.legend()
    paths.append(_save(fig, ax, out / "ageing.png", CHARTS["ageing.png"]))

    fig, ax = plt.subplots(figsize=(8, 3.6))
    labels = [p["period"] for p in report["periods"]]
    x = range(len(labels))
    ax.bar([i - 0.2 for i in x], [p["revenue"] for p in report["periods"]], 0.4,
           label="Revenue", color="#1565c0")
    ax.bar([i + 0.2 for i in x], [p["expenses"] for p in report["periods"]], 0.4,
           label="Expenses", color="#ef6c00")
    ax.plot(list(x), [p["net"] for p in report["periods"]], color="black", marker="o",
            label="Net")
    ax.set_xticks(list(x), labels, rotation=45, ha="right")
    ax.set_ylabel("R$")
    ax.legend()
    paths.append(_save(fig, ax, out / "revenue_expenses.png", CHARTS["revenue_expenses.png"]))

    fig, ax = plt.subplots(figsize=(6, 3.6))
    horizons = report["cash_projection"]["horizons"]
    x = range(len(horizons))
    ax.bar([i - 0.2 for i in x], [h["inflow"] for h in horizons], 0.4, label="In",
           color="#2e7d32")
    ax.bar([i + 0.2 for i in x], [-h["outflow"] for h in horizons], 0.4, label="Out",
           color="#c62828")
    ax.plot(list(x), [h["net"] for h in horizons], color="black", marker="o", label="Net")
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_xticks(list(x), [f"{h['days']} days" for h in horizons])
    ax.set_ylabel("R$ (cumulative)")
    ax.legend()
    paths.append(_save(fig, ax, out / "cash_projection.png", CHARTS["cash_projection.png"]))
    return paths


def _save(fig: Any, ax: Any, path: Path, title: str) -> Path:
    from matplotlib import pyplot as plt

    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _rows(report: dict[str, Any]) -> dict[str, list[list[str]]]:
    """The report's tables, shared by the Markdown and the HTML."""
    rec, pay = report["receivables"], report["payables"]
    return {
        "Totals": [["", "Receivables", "Payables"],
                   ["Open", brl(rec["open_total"]), brl(pay["open_total"])],
                   ["Open items", str(rec["open_count"]), str(pay["open_count"])],
                   ["Overdue", brl(rec["overdue_total"]), brl(pay["overdue_total"])],
                   *[[f"Ageing {b}", brl(rec["ageing"][b]), brl(pay["ageing"][b])]
                     for b in BUCKETS]],
        "Revenue and expenses": [["Period", "Revenue", "Expenses", "Net"],
                                 *[[p["period"], brl(p["revenue"]), brl(p["expenses"]),
                                    brl(p["net"])] for p in report["periods"]]],
        "Cash projection (open items by due date, cumulative)": [
            ["Horizon", "Until", "In", "Out", "Net"],
            *[[f"{h['days']} days", h["until"], brl(h["inflow"]), brl(h["outflow"]),
               brl(h["net"])] for h in report["cash_projection"]["horizons"]]],
        "Top overdue customers": [
            ["Customer", "Overdue", "Invoices", "Oldest (days)"],
            *[[c["partner_name"], brl(c["overdue_total"]), str(c["invoices"]),
               str(c["oldest_days"])] for c in report["top_overdue_customers"]]],
        "Payment risk": [["Customer", "Score", "Why"],
                         *[[r["partner_name"], str(r["score"]), r["reason"]]
                           for r in report["payment_risk"]]],
        "Payables due in the next 7 days": [
            ["Due", "Supplier", "Bill", "Amount"],
            *[[i["due_date"], i["partner_name"], i["name"], brl(i["amount_residual"])]
              for i in report["payables_next_7_days"]["items"]]],
    }


def _title(report: dict[str, Any]) -> str:
    scope = "all companies" if report["company"] == "all" else f"company {report['company']}"
    return f"Financial analysis — {report['tenant']}, {scope}, as of {report['as_of']}"


def markdown(report: dict[str, Any]) -> str:
    narrative = report["narrative"]
    dso = report["dso"]
    lines = [f"# {_title(report)}", "", narrative["summary"], "", "## Risks", "",
             *[f"- {r}" for r in narrative["risks"]], "", "## Recommended actions", "",
             *[f"- {a}" for a in narrative["actions"]], "",
             f"DSO: {dso['days']} days ({dso['window_from']} to {dso['window_to']}).", ""]
    for title, rows in _rows(report).items():
        lines += [f"## {title}", "", "| " + " | ".join(rows[0]) + " |",
                  "|" + "---|" * len(rows[0])]
        lines += ["| " + " | ".join(c.replace("|", "/") for c in r) + " |" for r in rows[1:]]
        lines.append("")
    lines += [f"![{t}]({name})" for name, t in CHARTS.items()]
    lines += ["", f"_Narrative: {narrative['written_by']}. Figures computed from Odoo; "
                  "amounts in BRL._", ""]
    return "\n".join(lines)


def page(report: dict[str, Any], charts: list[Path]) -> str:
    narrative = report["narrative"]
    esc = html.escape
    parts = [f"<h1>{esc(_title(report))}</h1>", f"<p>{esc(narrative['summary'])}</p>",
             "<h2>Risks</h2><ul>", *[f"<li>{esc(r)}</li>" for r in narrative["risks"]],
             "</ul><h2>Recommended actions</h2><ul>",
             *[f"<li>{esc(a)}</li>" for a in narrative["actions"]], "</ul>"]
    for chart in charts:
        data = base64.b64encode(chart.read_bytes()).decode()
        parts.append(f'<figure><img alt="{esc(CHARTS[chart.name])}" '
                     f'src="data:image/png;base64,{data}"></figure>')
    for title, rows in _rows(report).items():
        parts.append(f"<h2>{esc(title)}</h2><table><tr>"
                     + "".join(f"<th>{esc(c)}</th>" for c in rows[0]) + "</tr>")
        parts += ["<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>"
                  for r in rows[1:]]
        parts.append("</table>")
    style = ("body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}"
             "table{border-collapse:collapse;margin-bottom:1em}td,th{border:1px solid #ccc;"
             "padding:.25em .6em;text-align:right}td:first-child,th:first-child{text-align:"
             "left}img{max-width:100%}")
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{esc(_title(report))}</title><style>{style}</style></head><body>"
            + "\n".join(parts) + "</body></html>\n")
