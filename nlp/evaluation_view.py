"""Rendering evaluation results for the terminal (rich)."""
from __future__ import annotations

from rich.console import Console
from rich.markup import escape
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

    calibration = metrics.get("calibration")
    if calibration:
        console.print(f"Expected calibration error ({calibration['bins']} bins): {calibration['ece']:.3f}   "
                      f"Brier score: {calibration['brier']:.3f}")
        reliability = Table(title="Reliability (model confidence vs accuracy)")
        for column in ("confidence bin", "sentences", "mean confidence", "accuracy"):
            reliability.add_column(column, justify="right")
        for row in calibration["reliability"]:
            if row["count"]:
                reliability.add_row(f"{row['lower']:.1f}–{row['upper']:.1f}", str(row["count"]),
                                    f"{row['confidence']:.3f}", f"{row['accuracy']:.3f}")
        console.print(reliability)

    if result.get("errors"):
        mistakes = Table(title=f"The {len(result['errors'])} most confident mistakes", show_lines=True)
        for column in ("doc / #", "gold → predicted", "p", "sentence", "cues", "pushed by"):
            mistakes.add_column(column)
        for row in result["errors"]:
            mistakes.add_row(
                escape(f"{row['doc_id']} #{row['sentence']}"),
                f"{row['gold']} → {row['predicted']}",
                f"{row['probs'][row['predicted']]:.2f}",
                escape(row["text"]),
                escape(", ".join(row["cues"])),
                escape(", ".join(f"{f['feature']} ({f['weight']:+.2f})" for f in row["pushed_by"])),
            )
        console.print(mistakes)
