"""The ``claimlens`` command line: parse arguments, call one library function, render its result."""
from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import List, Optional

import click
import typer
from typer.core import TyperGroup

from nlp.errors import ClaimlensError


class ClaimlensGroup(TyperGroup):
    """Turns library exceptions into one-line errors with meaningful exit codes: the one place that does."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ClaimlensError as exc:
            click.echo(f"claimlens: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("claimlens: interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            # Output piped into e.g. `head`: stop quietly.
            sys.stderr.close()
            ctx.exit(0)


app = typer.Typer(
    cls=ClaimlensGroup,
    help="Label each sentence of a news article as reported fact, attribution or speculation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


class OutputFormat(str, Enum):
    jsonl = "jsonl"
    csv = "csv"
    table = "table"


class ReportFormat(str, Enum):
    table = "table"
    json = "json"


def _open_output(path: Optional[Path]):
    if path is None or str(path) == "-":
        return sys.stdout, False
    try:
        return open(path, "w", encoding="utf-8", newline=""), True
    except OSError as exc:
        raise ClaimlensError(f"{path}: cannot write ({exc.strerror})") from None


@app.command()
def classify(
    inputs: List[str] = typer.Argument(..., metavar="INPUT...", help=".txt files, directories of .txt, .jsonl(.gz) files, or - for stdin."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write here instead of stdout."),
    output_format: OutputFormat = typer.Option(OutputFormat.jsonl, "--format", "-f", help="jsonl (default), csv, or table."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Model directory or registered name (default: the default model)."),
    batch_size: int = typer.Option(32, "--batch-size", min=1, help="Documents per batch."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary on stderr."),
):
    """Classify every sentence of the given articles. Exit 0: all documents done; 1: some failed (see error records)."""
    from rich.console import Console

    from nlp.classify import RunSummary, classify_stream
    from nlp.inputs import check_inputs, iter_inputs
    from nlp.output import CsvWriter, JsonlWriter, TableWriter
    from nlp.pipeline import load

    check_inputs(inputs)
    pipeline = load(model)
    stream, close = _open_output(output)
    if output_format is OutputFormat.jsonl:
        writer = JsonlWriter(stream)
    elif output_format is OutputFormat.csv:
        writer = CsvWriter(stream)
    else:
        writer = TableWriter(Console(file=stream, soft_wrap=False))
    summary = RunSummary()
    try:
        for records in classify_stream(iter_inputs(inputs), pipeline, batch_size=batch_size, summary=summary):
            for record in records:
                writer.write(record)
        writer.close()
    finally:
        if close:
            stream.close()
    if not quiet:
        s = summary.as_dict()
        typer.echo(
            f"claimlens: {s['documents']} documents, {s['sentences']} sentences, {s['errors']} errors "
            f"in {s['elapsed_seconds']:.1f}s",
            err=True,
        )
    raise typer.Exit(1 if summary.errors else 0)


@app.command()
def train(
    data: Optional[Path] = typer.Option(None, "--data", help="Training data directory (docs.jsonl + splits.json); default: training/data."),
    out: Optional[Path] = typer.Option(None, "--out", help="Where model directories go (default: models/)."),
    name: str = typer.Option("claimlens-news", "--name", help="Model name; the version is the next free number."),
    seed: int = typer.Option(13, "--seed", help="Random seed (training is deterministic for a given seed)."),
    promote: bool = typer.Option(False, "--promote", help="Make the new model the default."),
):
    """Train on the train split, evaluate on dev and test, write a new versioned model directory."""
    from nlp.training import train as train_model

    meta, out_dir = train_model(data_dir=data, out_root=out, name=name, seed=seed, promote=promote)
    test = meta["metrics"]["test"]
    typer.echo(f"wrote {out_dir}")
    typer.echo(f"test: macro-F1 {test['macro_f1']:.4f}, accuracy {test['accuracy']:.4f} on {test['sentences']} sentences")


@app.command()
def evaluate(
    data: Optional[Path] = typer.Argument(None, help="Labelled documents (docs.jsonl format) or a data directory; default: the test split."),
    split: str = typer.Option("test", "--split", help="Split to use when DATA is a directory or omitted."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Model directory or registered name."),
    output_format: ReportFormat = typer.Option(ReportFormat.table, "--format", "-f", help="table or json."),
):
    """Per-label precision/recall/F1, macro-F1, accuracy and confusion matrix, with baselines."""
    from nlp.evaluation import evaluate as run_evaluation

    result = run_evaluation(model, data=data, split=split)
    if output_format is ReportFormat.json:
        typer.echo(json.dumps(result, indent=2))
        return
    from rich.console import Console

    from nlp.evaluation_view import render_evaluation

    render_evaluation(Console(), result)


class ReportView(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"
    html = "html"


@app.command()
def report(
    inputs: List[str] = typer.Argument(..., metavar="INPUT...", help="Articles (as for classify) or classify output .jsonl files (read, not recomputed)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write here instead of stdout."),
    view: ReportView = typer.Option(ReportView.table, "--format", "-f", help="table (default), json, markdown, or html."),
    threshold: Optional[float] = typer.Option(None, "--threshold", min=0.0, max=1.0, help="List claims below this confidence (default: the model's calibrated threshold, else 0.6)."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Model to classify articles with, and whose evaluation to show (default: the default model / the one named in the records)."),
    top: int = typer.Option(10, "--top", min=1, help="Length of rankings and entity lists."),
):
    """Confidence report per article and across the set: label shares, confidence, unsure sentences, sources, actors and places."""
    from nlp.report_inputs import make_report

    data = make_report(inputs, model=model, threshold=threshold, top=top, keep_sentences=view is ReportView.html)
    stream, close = _open_output(output)
    try:
        if view is ReportView.json:
            from nlp.report_render import render_json

            render_json(data, stream)
        elif view is ReportView.markdown:
            from nlp.report_render import render_markdown

            render_markdown(data, stream, top=top)
        elif view is ReportView.html:
            from nlp.report_html import render_html

            stream.write(render_html(data, top=top))
        else:
            from rich.console import Console

            from nlp.report_render import render_table

            render_table(data, Console(file=stream) if close else Console(), top=top)
    finally:
        if close:
            stream.close()


def main() -> None:
    app(prog_name="claimlens")


if __name__ == "__main__":
    main()
