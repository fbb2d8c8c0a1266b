"""Terminal rendering for label imports, the model registry and model comparisons (rich)."""
from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from nlp.label_import import ImportReport
from nlp.registry import Comparison, ModelInfo


def _f(value, digits: int = 4) -> str:
    return f"{value:.{digits}f}" if isinstance(value, (int, float)) else "—"


def render_import_report(console: Console, report: ImportReport, *, limit: int | None = None) -> None:
    """Every problem with file and line (fatal ones first), then the counts."""
    problems = sorted(report.problems, key=lambda p: not p.fatal)
    shown = problems if limit is None else problems[:limit]
    for problem in shown:
        style = "red" if problem.fatal else "yellow" if problem.code == "conflict" else ""
        text = escape(str(problem))
        console.print(f"[{style}]{text}[/{style}]" if style else text, soft_wrap=True)
    if len(shown) < len(problems):
        console.print(f"… and {len(problems) - len(shown)} more problems (--report FILE writes them all)")
    for summary in report.files:
        console.print(f"{escape(summary.path)} ({summary.format}): {summary.records} records, "
                      f"{summary.accepted} accepted", soft_wrap=True)
    counts = report.counts()
    if counts:
        console.print("problems: " + ", ".join(f"{code} {n}" for code, n in sorted(counts.items())))
    labels = report.label_counts()
    console.print(f"accepted: {len(report.records)} new sentences"
                  + (f" ({', '.join(f'{k} {v}' for k, v in sorted(labels.items()))})" if labels else "")
                  + (f", {len(report.relabels)} corpus sentences relabelled" if report.relabels else ""))


def render_models(console: Console, infos: list[ModelInfo]) -> None:
    table = Table(title="Models (* = default)")
    for column in ("", "model", "created", "train", "added", "dev F1", "test F1", "test acc", "status"):
        # A narrow terminal folds the model name and wraps headers before it cuts figures.
        table.add_column(column, justify="right" if column in ("train", "added", "dev F1", "test F1", "test acc")
                         else "left", overflow="fold" if column == "model" else "ellipsis")
    for info in infos:
        test, dev = info.metrics.get("test", {}), info.metrics.get("dev", {})
        table.add_row(
            "*" if info.default else "",
            info.dir_name,
            # A hand-edited meta.json may hold any JSON value here: shown as is, not trusted to be a date.
            "" if info.created is None else escape(str(info.created)[:10]),
            str(info.training.get("sentences", "")),
            str(len(info.training.get("added", []))),
            _f(dev.get("macro_f1"), 3),
            _f(test.get("macro_f1"), 3),
            _f(test.get("accuracy"), 3),
            "ok" if info.status == "ok" else f"[red]{escape(info.status)}[/red]",
        )
    console.print(table)
    console.print("F1 = macro-F1 and acc = accuracy, as recorded at training time on that model's own data snapshot; "
                  "`train` = training sentences, `added` = label files added.", soft_wrap=True)


def _pair(old: float, new: float) -> str:
    return f"{old:.3f}→{new:.3f}"


def render_comparison(console: Console, comparison: Comparison) -> None:
    console.print(f"[bold]{comparison.candidate}[/bold] (new) vs [bold]{comparison.baseline}[/bold] (default), "
                  f"same documents ({escape(comparison.data)})", soft_wrap=True)
    for split in comparison.metrics:
        pair = comparison.metrics[split]
        table = Table(title=f"{split}: {pair['candidate']['sentences']} sentences, old→new")
        for column in ("label", "n", "precision", "recall", "F1", "ΔF1"):
            table.add_column(column, justify="left" if column == "label" else "right", no_wrap=True)
        for row in comparison.per_label(split):
            table.add_row(
                row["label"], str(row["support"]),
                _pair(row["precision_old"], row["precision_new"]),
                _pair(row["recall_old"], row["recall_new"]),
                _pair(row["f1_old"], row["f1_new"]), f"{row['f1_delta']:+.3f}",
            )
        old, new = pair["baseline"], pair["candidate"]
        table.add_row("macro-F1", "", "", "", _pair(old["macro_f1"], new["macro_f1"]),
                      f"{comparison.delta(split):+.3f}", style="bold")
        table.add_row("accuracy", "", "", "", _pair(old["accuracy"], new["accuracy"]),
                      f"{new['accuracy'] - old['accuracy']:+.3f}")
        console.print(table)
    verdict = "worse" if comparison.worse else "not worse"
    console.print(f"on {comparison.gate_split} macro-F1 (what promotion checks) the new model is {verdict} "
                  f"({comparison.delta():+.4f})")
