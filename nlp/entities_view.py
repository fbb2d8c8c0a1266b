"""Rendering ``claimlens entities`` results for the terminal (rich)."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table

from nlp.output import table_cell


def render_entities(console: Console, record: dict) -> None:
    if "error" in record:
        console.print(f"[red]{table_cell(record['doc_id'])}: {table_cell(record['error']['message'])}[/red]")
        return
    table = Table(title=table_cell(record["doc_id"]))
    for column in ("kind", "entity", "type", "id", "count", "forms"):
        table.add_column(column, justify="right" if column == "count" else "left")
    for kind in ("actors", "places"):
        for item in record[kind]:
            forms = ", ".join(f"{form} ×{n}" for form, n in item["forms"].items())
            table.add_row(kind[:-1], table_cell(item["text"]), table_cell(str(item["type"])), table_cell(item["id"]),
                          str(item["count"]), table_cell(forms))
    console.print(table)
