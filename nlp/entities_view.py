"""Rendering ``claimlens entities`` results for the terminal (rich)."""
from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table


def render_entities(console: Console, record: dict) -> None:
    if "error" in record:
        console.print(f"[red]{escape(record['doc_id'])}: {escape(record['error']['message'])}[/red]")
        return
    table = Table(title=escape(record["doc_id"]))
    for column in ("kind", "entity", "type", "id", "count", "forms"):
        table.add_column(column, justify="right" if column == "count" else "left")
    for kind in ("actors", "places"):
        for item in record[kind]:
            forms = ", ".join(f"{form} ×{n}" for form, n in item["forms"].items())
            table.add_row(kind[:-1], escape(item["text"]), escape(str(item["type"])), escape(item["id"]),
                          str(item["count"]), escape(forms))
    console.print(table)
