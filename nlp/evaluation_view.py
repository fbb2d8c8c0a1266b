"""Rendering evaluation results for the terminal (rich)."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table

from nlp import LABELS


def render_evaluation(console: Console, result: dict) -> None:
    metrics = result["metrics"]
    console.print(f"[bold]{result['model']}[/bold] on {result['data']}: "
                  f"{result['documents']} documents, {metrics['sentences']} claim sentences")
    table = Table(title="Per label")
    for column in ("label", "precision", "recall", "F1", "support"):
        table.add_column(column, justify="left" if column == "label" else "right")
    for label in LABELS:
        row = metrics["per_label"][label]
        table.add_row(label, f"{row['precision']:.3f}", f"{row['recall']:.3f}", f"{row['f1']:.3f}", str(row["support"]))
    console.print(table)

    summary = Table(title="Model and baselines")
    for column in ("system", "macro-F1", "accuracy"):
        summary.add_column(column, justify="left" if column == "system" else "right")
    summary.add_row("model", f"{metrics['macro_f1']:.3f}", f"{metrics['accuracy']:.3f}")
    for name, baseline in result["baselines"].items():
        summary.add_row(f"baseline: {name}", f"{baseline['macro_f1']:.3f}", f"{baseline['accuracy']:.3f}")
    console.print(summary)

    confusion = Table(title="Confusion (rows: gold, columns: predicted)")
    confusion.add_column("gold \\ predicted")
    for label in LABELS:
        confusion.add_column(label, justify="right")
    for label, row in zip(LABELS, metrics["confusion"]["matrix"]):
        confusion.add_row(label, *(str(v) for v in row))
    console.print(confusion)
