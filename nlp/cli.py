"""The ``claimlens`` command line: parse arguments, call one library function, render its result."""
from __future__ import annotations

import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import List, Optional

import click
import typer
from typer.core import TyperGroup

from nlp.errors import ClaimlensError, OutputError


class ClaimlensGroup(TyperGroup):
    """Turns library exceptions into one-line errors with meaningful exit codes: the one place that does."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ClaimlensError as exc:
            click.echo(f"claimlens: error: {exc}", err=True)
            if isinstance(exc, OutputError):
                _discard_stdout()
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("claimlens: interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            # Output piped into e.g. `head`: stop quietly.
            _discard_stdout()
            ctx.exit(0)


def _discard_stdout() -> None:
    """Point stdout at /dev/null. What is still buffered for it cannot be written (a closed pipe, a full disk),
    and Python's own flush at exit would print an "Exception ignored" message and exit with status 120."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a file descriptor (a test's captured output)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


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


class OnConflict(str, Enum):
    fail = "fail"
    keep_new = "keep-new"
    keep_old = "keep-old"


class LabelFormat(str, Enum):
    claimlens = "claimlens"
    claimlens_docs = "claimlens-docs"
    prodigy = "prodigy"
    doccano = "doccano"
    labelstudio = "labelstudio"
    csv = "csv"


class Strategy(str, Enum):
    uncertainty = "uncertainty"
    margin = "margin"
    entropy = "entropy"
    disagreement = "disagreement"


class ReportFormat(str, Enum):
    table = "table"
    json = "json"


def _format_for(chosen: Optional[Enum], output: Optional[Path], by_suffix: dict, default: Enum) -> Enum:
    """--format when given, else the format -o's extension names (out.csv is CSV), else the default."""
    if chosen is not None:
        return chosen
    return by_suffix.get(output.suffix.lower() if output is not None else "", default)


class Engine(str, Enum):
    local = "local"
    dask = "dask"


@app.command()
def classify(
    inputs: List[str] = typer.Argument(..., metavar="INPUT...", help=".txt files, directories of .txt, .jsonl(.gz) files, or - for stdin."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write here instead of stdout (a directory with --engine dask)."),
    output_format: Optional[OutputFormat] = typer.Option(None, "--format", "-f", help="jsonl, csv, or table (default: csv for -o FILE.csv, else jsonl)."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Model directory or registered name (default: the default model)."),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", min=1, help="Worker processes (default: all cores; one for inputs under 1 MB)."),
    batch_size: int = typer.Option(32, "--batch-size", min=1, help="Documents per batch sent to a worker."),
    resume: bool = typer.Option(False, "--resume", help="With -o FILE: skip documents FILE already holds, append the rest."),
    engine: Engine = typer.Option(Engine.local, "--engine", help="local (default) or dask (needs the dask extra)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="With --engine dask: scheduler address (default: a local cluster)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar, no summary on stderr."),
):
    """Classify every sentence of the given articles. Exit 0: all documents done; 1: some failed (see error records)."""
    from rich.console import Console

    from nlp.classify import run

    output_format = _format_for(output_format, output, {".csv": OutputFormat.csv}, OutputFormat.jsonl)
    console = Console(stderr=True)
    progress = None
    if not quiet and console.is_terminal and engine is Engine.local:
        from nlp.progress import ProgressBar

        progress = ProgressBar(console)
    summary = run(
        inputs, output=output, fmt=output_format.value, model=model, workers=workers,
        batch_size=batch_size, resume=resume, progress=progress, engine=engine.value, scheduler=scheduler,
    )
    if not quiet:
        from nlp.report import counted

        s = summary.as_dict()
        resumed = f" ({s['resumed']} already in {output})" if s["resumed"] else ""
        typer.echo(
            f"claimlens: {counted(s['documents'], 'document')}{resumed}, {counted(s['sentences'], 'sentence')}, "
            f"{counted(s['errors'], 'error')} "
            f"in {s['elapsed_seconds']:.1f}s",
            err=True,
        )
    raise typer.Exit(1 if summary.errors else 0)


@app.command()
def train(
    data: Optional[Path] = typer.Option(None, "--data", help="Training data directory (docs.jsonl + splits.json); default: training/data."),
    out: Optional[Path] = typer.Option(None, "--out", help="Where model directories go (default: models/)."),
    name: str = typer.Option("claimlens-news", "--name", help="Model name; the version is the next free number."),
    seed: int = typer.Option(13, "--seed", min=0, max=2**32 - 1, help="Random seed (training is deterministic for a given seed)."),
    promote: bool = typer.Option(False, "--promote", help="Make the new model the default (with --add: only if not worse than the default on dev macro-F1)."),
    add: Optional[List[Path]] = typer.Option(None, "--add", metavar="FILE", help="Label file to add to the training data (repeat for several): claimlens, claimlens-docs, prodigy, doccano, labelstudio or csv."),
    on_conflict: OnConflict = typer.Option(OnConflict.fail, "--on-conflict", help="Same sentence, different labels (in the files or against the corpus): fail (default), keep-new or keep-old."),
    label_format: Optional[LabelFormat] = typer.Option(None, "--label-format", help="Format of the --add files (default: detected per file)."),
    alias: Optional[List[str]] = typer.Option(None, "--alias", metavar="NAME=LABEL", help="Extra label alias, e.g. fact=reported_fact (repeatable)."),
    snapshots: Optional[Path] = typer.Option(None, "--snapshots", help="Where merged data snapshots go (default: training/snapshots or $CLAIMLENS_SNAPSHOTS_DIR)."),
    force: bool = typer.Option(False, "--force", help="With --add --promote: promote even if the new model is worse."),
    synthetic: bool = typer.Option(True, "--synthetic/--no-synthetic", help="Also fit on the data directory's synthetic.jsonl (articles written for training; never evaluated on), if it has one."),
):
    """Train on the train split, evaluate on dev and test, write a new versioned model directory.

    With --add, the labels are checked and merged with the corpus into a new hashed snapshot
    (the corpus is never changed), and the new model is compared with the default on the same
    held-out documents.
    """
    if add:
        _train_with_labels(add, data=data, out=out, name=name, seed=seed, promote=promote, on_conflict=on_conflict,
                           label_format=label_format, alias=alias or [], snapshots=snapshots, force=force,
                           synthetic=synthetic)
        return
    from nlp.training import train as train_model

    meta, out_dir = train_model(data_dir=data, out_root=out, name=name, seed=seed, promote=promote, synthetic=synthetic)
    test = meta["metrics"]["test"]
    typer.echo(f"wrote {out_dir}")
    typer.echo(f"test: macro-F1 {test['macro_f1']:.4f}, accuracy {test['accuracy']:.4f} on {test['sentences']} sentences")


def _train_with_labels(add, *, data, out, name, seed, promote, on_conflict, label_format, alias, snapshots, force,
                       synthetic):
    from nlp.label_import import AliasTable, ConflictError, parse_alias_options
    from nlp.output import table_console
    from nlp.registry import PromotionRefused
    from nlp.registry_view import render_comparison, render_import_report
    from nlp.retrain import NoNewLabels, retrain

    console, err = table_console(), table_console(stderr=True)
    try:
        result = retrain(
            add, data_dir=data, out_root=out, snapshots_root=snapshots, name=name, seed=seed,
            fmt=label_format.value if label_format else None,
            aliases=AliasTable.load(extra=parse_alias_options(alias)),
            on_conflict=on_conflict.value, promote=promote, force=force, synthetic=synthetic,
        )
    except (ConflictError, NoNewLabels) as exc:
        render_import_report(err, exc.report)
        raise
    except PromotionRefused as exc:
        render_comparison(console, exc.comparison)
        raise
    render_import_report(err, result.report, limit=50)
    test = result.meta["metrics"]["test"]
    typer.echo(f"snapshot {result.snapshot.dir} (sha256 {result.snapshot.sha256[:16]}…)")
    typer.echo(f"wrote {result.model_dir}")
    typer.echo(f"test: macro-F1 {test['macro_f1']:.4f}, accuracy {test['accuracy']:.4f} on {test['sentences']} sentences")
    if result.comparison is not None:
        render_comparison(console, result.comparison)
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
    if result.promoted and not promote:
        typer.echo(f"{result.model_dir.name} is the default model of {result.model_dir.parent}, which had none "
                   "(nothing to compare it with)")
    elif result.promoted:
        typer.echo(f"{result.model_dir.name} is now the default model")
    else:
        typer.echo(f"to make it the default: claimlens models promote {result.model_dir.name}")


@app.command()
def evaluate(
    data: Optional[Path] = typer.Argument(None, help="Labelled documents (docs.jsonl format) or a data directory; default: the test split."),
    split: str = typer.Option("test", "--split", help="Split to use when DATA is a directory or omitted."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Model directory or registered name."),
    output_format: ReportFormat = typer.Option(ReportFormat.table, "--format", "-f", help="table or json."),
    errors: int = typer.Option(0, "--errors", min=0, help="Also list the N most confident mistakes with their cues."),
):
    """Per-label P/R/F1, macro-F1, accuracy, confusion matrix, calibration (ECE, Brier, reliability), baselines."""
    from nlp.evaluation import evaluate as run_evaluation
    from nlp.output import output_stream, table_console

    result = run_evaluation(model, data=data, split=split, errors=errors)
    if output_format is ReportFormat.json:
        typer.echo(json.dumps(result, indent=2), file=output_stream(None))
        return
    from nlp.evaluation_view import render_evaluation

    render_evaluation(table_console(), result)


class ReportView(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"
    html = "html"


REPORT_SUFFIXES = {".json": ReportView.json, ".md": ReportView.markdown, ".markdown": ReportView.markdown,
                   ".html": ReportView.html, ".htm": ReportView.html}


@app.command()
def report(
    inputs: List[str] = typer.Argument(..., metavar="INPUT...", help="Articles (as for classify) or classify output .jsonl files (read, not recomputed)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write here instead of stdout."),
    view: Optional[ReportView] = typer.Option(None, "--format", "-f", help="table, json, markdown, or html (default: what -o's extension names, else table)."),
    threshold: Optional[float] = typer.Option(None, "--threshold", min=0.0, max=1.0, help="List claims below this confidence (default: the model's calibrated threshold, else 0.6)."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Model to classify articles with, and whose evaluation to show (default: the default model / the one named in the records)."),
    top: int = typer.Option(10, "--top", min=1, help="Length of rankings and entity lists."),
):
    """Confidence report per article and across the set: label shares, confidence, unsure sentences, sources, actors and places.

    Exit 0: every input document is in the report; 1: some failed (listed in the report's errors).
    """
    from nlp.inputs import check_inputs, check_output
    from nlp.output import check_writable, output_stream
    from nlp.report_inputs import make_report

    check_inputs(inputs)
    check_output(output, inputs)
    check_writable(output)
    view = _format_for(view, output, REPORT_SUFFIXES, ReportView.table)
    data = make_report(inputs, model=model, threshold=threshold, top=top, keep_sentences=view is ReportView.html)
    with output_stream(output) as stream:
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
            from nlp.output import table_console
            from nlp.report_render import render_table

            render_table(data, table_console(stream), top=top)
    raise typer.Exit(1 if data["errors"] else 0)


class EntitiesView(str, Enum):
    jsonl = "jsonl"
    table = "table"


@app.command()
def entities(
    inputs: List[str] = typer.Argument(..., metavar="INPUT...", help="Articles: .txt, directories, .jsonl(.gz), or -."),
    output_format: EntitiesView = typer.Option(EntitiesView.table, "--format", "-f", help="table (default) or jsonl."),
):
    """Actors and places in each article, by normalised id, with counts (no model needed)."""
    from nlp.entities import entities_report
    from nlp.inputs import check_inputs
    from nlp.output import output_stream

    check_inputs(inputs)
    failed = 0
    if output_format is EntitiesView.jsonl:
        stdout = output_stream(None)
        for record in entities_report(inputs):
            failed += "error" in record
            typer.echo(json.dumps(record, ensure_ascii=False), file=stdout)
    else:
        from nlp.entities_view import render_entities
        from nlp.output import table_console

        console = table_console()
        for record in entities_report(inputs):
            failed += "error" in record
            render_entities(console, record)
    raise typer.Exit(1 if failed else 0)


labels_app = typer.Typer(help="Check and convert label files from other tools.", no_args_is_help=True)
models_app = typer.Typer(help="The model registry: list models, choose the default.", no_args_is_help=True)
app.add_typer(labels_app, name="labels")
app.add_typer(models_app, name="models")


@labels_app.command("import")
def labels_import(
    files: List[Path] = typer.Argument(..., metavar="FILE...", help="Label files (format detected per file)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write the accepted labels here (claimlens JSONL)."),
    label_format: Optional[LabelFormat] = typer.Option(None, "--format", "-f", help="Format of the files (default: detected)."),
    against: Optional[Path] = typer.Option(None, "--against", help="Corpus directory to check duplicates and conflicts against (default: training/data)."),
    on_conflict: OnConflict = typer.Option(OnConflict.fail, "--on-conflict", help="fail (default), keep-new or keep-old."),
    alias: Optional[List[str]] = typer.Option(None, "--alias", metavar="NAME=LABEL", help="Extra label alias (repeatable)."),
    report_path: Optional[Path] = typer.Option(None, "--report", help="Write every problem and the counts as JSON."),
):
    """Check label files (unknown labels, empty/long text, duplicates, conflicts) and convert them.

    Exit 0: every record was imported or knowingly left out (duplicates, resolved conflicts, rejected answers);
    1: some records were left out for a fault (listed); 2: unresolved conflicts or a usage error (nothing written).
    """
    from nlp.corpus import default_data_dir
    from nlp.errors import UsageError
    from nlp.inputs import check_output
    from nlp.label_import import AliasTable, ConflictError, import_labels, parse_alias_options, write_labels
    from nlp.output import check_writable, output_stream, table_console
    from nlp.registry_view import render_import_report

    check_output(output, list(map(str, files)))
    check_output(report_path, list(map(str, files)))
    if output is not None and report_path is not None and (
            output.resolve() == report_path.resolve()
            or output.exists() and report_path.exists() and os.path.samefile(output, report_path)):
        raise UsageError(f"{report_path}: --report and -o name the same file; one would overwrite the other")
    check_writable(output)
    check_writable(report_path)
    report = import_labels(files, fmt=label_format.value if label_format else None,
                           aliases=AliasTable.load(extra=parse_alias_options(alias or [])),
                           base_dir=against or _corpus_if_present(default_data_dir()), on_conflict=on_conflict.value)
    render_import_report(table_console(stderr=True), report)
    if report_path is not None:
        with output_stream(report_path) as stream:
            stream.write(json.dumps({**report.summary(), "problems": [p.as_dict() for p in report.problems]},
                                    indent=2) + "\n")
    if report.failed:
        raise ConflictError(report)
    if output is not None:
        with output_stream(output) as stream:
            write_labels(report.labels_to_write(), stream)
    raise typer.Exit(1 if report.rejected else 0)


def _corpus_if_present(path: Path) -> Optional[Path]:
    # An installed wheel has no corpus: import still checks the files against each other.
    return path if (path / "docs.jsonl").is_file() else None


@models_app.command("list")
def models_list(
    out: Optional[Path] = typer.Option(None, "--dir", help="Models directory (default: models/ or $CLAIMLENS_MODELS_DIR)."),
    output_format: ReportFormat = typer.Option(ReportFormat.table, "--format", "-f", help="table or json."),
):
    """Every registered model with its recorded test metrics; * marks the default."""
    from nlp.output import output_stream, table_console
    from nlp.registry import list_models

    infos = list_models(out)
    if output_format is ReportFormat.json:
        typer.echo(json.dumps([info.as_dict() for info in infos], indent=2), file=output_stream(None))
        return
    from nlp.registry_view import render_models

    render_models(table_console(), infos)


@models_app.command("promote")
def models_promote(
    name: str = typer.Argument(..., help="Model to make the default, e.g. claimlens-news-3."),
    out: Optional[Path] = typer.Option(None, "--dir", help="Models directory (default: models/ or $CLAIMLENS_MODELS_DIR)."),
    data: Optional[Path] = typer.Option(None, "--data", help="Data directory to compare on (default: the candidate's training snapshot)."),
    force: bool = typer.Option(False, "--force", help="Promote even if it is worse than the current default."),
):
    """Make NAME the default model; refused if it is worse than the current default on dev macro-F1."""
    from nlp.output import table_console
    from nlp.registry import PromotionRefused, promote
    from nlp.registry_view import render_comparison

    try:
        result = promote(name, root=out, force=force, data_dir=data)
    except PromotionRefused as exc:
        render_comparison(table_console(), exc.comparison)
        raise
    if result.comparison is not None:
        render_comparison(table_console(), result.comparison)
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
    if not result.changed:
        typer.echo(f"{result.model} is already the default model")
    else:
        typer.echo(f"{result.model} is now the default model (was {result.previous or 'none'})"
                   + (" [forced]" if result.forced and result.comparison is not None and result.comparison.worse else ""))


@app.command()
def suggest(
    inputs: List[str] = typer.Argument(..., metavar="INPUT...", help="Unlabelled articles: .txt files, directories, .jsonl(.gz), or -."),
    n: int = typer.Option(50, "-n", min=1, help="How many sentences to suggest."),
    strategy: Strategy = typer.Option(Strategy.uncertainty, "--strategy", "-s", help="uncertainty, margin, entropy, or disagreement (model vs cue rules)."),
    per_doc: Optional[int] = typer.Option(None, "--per-doc", min=1, help="At most K sentences from one document."),
    context: int = typer.Option(2, "--context", min=0, help="Context sentences before and after each suggestion."),
    exclude: Optional[List[Path]] = typer.Option(None, "--exclude", metavar="FILE", help="Label file(s) whose sentences are already labelled (repeatable)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write here instead of stdout."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Model directory or registered name."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary on stderr."),
):
    """Sentences most worth labelling next, as JSONL for `claimlens label` (or Prodigy, doccano...).

    Exit 0: every input document was considered; 1: some were skipped (named on stderr).
    """
    from nlp.inputs import check_inputs, check_output
    from nlp.output import JsonlWriter, check_writable, output_stream
    from nlp.suggest import labelled_keys, suggest as run_suggest

    check_inputs(inputs)
    check_output(output, [*inputs, *map(str, exclude or [])])
    check_writable(output)
    result = run_suggest(inputs, model=model, n=n, strategy=strategy.value, per_doc=per_doc, context=context,
                         exclude=labelled_keys(exclude or []))
    with output_stream(output) as stream:
        writer = JsonlWriter(stream)
        for record in result.records:
            writer.write(record)
    for problem in result.problems:
        typer.echo(f"claimlens: {problem['origin']}: skipped {problem['doc_id']}: {problem['error']['message']}", err=True)
    if not quiet:
        sel = result.selection
        from nlp.report import counted

        typer.echo(f"claimlens: {counted(len(result.records), 'suggestion')} from "
                   f"{counted(result.documents, 'document')} ({counted(sel.considered, 'claim sentence')}; "
                   f"{counted(sel.near_duplicates, 'near-duplicate')} collapsed, "
                   f"{sel.excluded} already labelled, {sel.capped_by_doc} over --per-doc)", err=True)
    raise typer.Exit(1 if result.problems else 0)


@app.command()
def label(
    suggestions: Path = typer.Argument(..., metavar="FILE", help="Suggestions (JSONL from `claimlens suggest`)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Labels file to append to (default: FILE with .labels.jsonl); resumes if it exists."),
    annotator: Optional[str] = typer.Option(None, "--annotator", help="Name recorded with each answer (default: $USER)."),
):
    """Label suggestions from the keyboard: 1 fact, 2 attribution, 3 speculation, 0 not a claim, s skip, u undo, q quit."""
    import getpass

    from rich.console import Console

    from nlp.inputs import check_output
    from nlp.labelling import (
        LabelsFile, Session, TerminalView, default_labels_path, read_suggestions, run, terminal_keys,
    )

    labels_path = output or default_labels_path(suggestions)
    check_output(labels_path, [str(suggestions)])
    labels = LabelsFile(labels_path)
    if labels.repaired:
        typer.echo(f"claimlens: {labels_path}: {labels.repaired}", err=True)
    try:
        who = annotator or getpass.getuser()
    except (KeyError, OSError):
        who = "annotator"
    session = Session(read_suggestions(suggestions), labels, annotator=who)
    with terminal_keys() as read_key:
        run(session, read_key, TerminalView(Console(highlight=False), labels_path))


def main() -> None:
    app(prog_name="claimlens")


if __name__ == "__main__":
    main()
