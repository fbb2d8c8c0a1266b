"""Writing classify records as JSONL, CSV or a terminal table.

Batch runs render each document's records to one string (on the worker that classified
it) and write that string whole: ``render_jsonl`` / ``render_csv``. ``StreamOutput`` writes
rendered documents to a stream; ``nlp.resume.ResumableOutput`` writes them to a file with a
ledger so a killed run can be resumed.
"""
from __future__ import annotations

import csv
import errno
import io
import json
import os
import re
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, TextIO

from nlp import LABELS
from nlp.errors import OutputError

# Rich lays tables out for 80 columns when the output is not a terminal, cutting numbers to "0.0…";
# a pipe or a file has no width to respect.
UNBOUNDED_WIDTH = 160

CSV_COLUMNS = (
    "doc_id", "index", "start", "end", "label", "skipped", "confidence",
    *(f"p_{label}" for label in LABELS),
    "source_text", "source_type", "cues", "entities", "quote_id", "model", "text", "error_type", "error_message",
)


FORMATS = ("jsonl", "csv", "table")

# C0 and C1 control characters but tab, line feed and the carriage return of a CRLF: in a terminal, ESC starts
# a sequence that can retitle the window, move the cursor or hide text. Tables show them escaped (ESC as
# "\x1b"); JSONL and CSV keep the text exact.
_CONTROLS = re.compile(r"\r(?!\n)|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# One encoder for every record: json.dumps with options builds a new one per call.
_JSON = json.JSONEncoder(ensure_ascii=False)


def render_jsonl(records: list[dict]) -> str:
    return "\n".join(map(_JSON.encode, records)) + "\n" if records else ""


def render_csv(records: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    for record in records:
        writer.writerow(csv_row(record))
    return buffer.getvalue()


def csv_header() -> str:
    buffer = io.StringIO()
    csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n").writeheader()
    return buffer.getvalue()


def _records_as_is(records: list[dict]) -> list[dict]:
    return records


def renderer(fmt: str) -> Callable[[list[dict]], str | list[dict]]:
    """A document's records → what the output writes; the table keeps records (it lays them out itself)."""
    return {"jsonl": render_jsonl, "csv": render_csv, "table": _records_as_is}[fmt]


def header(fmt: str) -> str:
    return csv_header() if fmt == "csv" else ""


@contextmanager
def writing(name: str | Path) -> Iterator[None]:
    """A failure to write ``name`` (a full disk, an I/O error, a missing folder) becomes an OutputError naming it.

    A closed pipe stays a BrokenPipeError: a reader that stopped early (``| head``) is no error.
    """
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputError(f"{name}: cannot write ({exc.strerror or exc})") from None


def check_writable(path: Path | None) -> None:
    """Refuse, before any work, an output file that cannot be made (its folder is missing, it is a folder, its
    name asks for gzip), without creating or truncating it: commands that read all their inputs first may be
    asked to overwrite one of them."""
    if path is None or str(path) == "-":
        return
    path = Path(path)
    if path.name.lower().endswith(".gz"):
        # Outputs are written plain. Writing gzip would break --resume, which cuts a killed run's file back to
        # the byte offset where its last whole document ends: a compressed stream cannot be cut there.
        raise OutputError(f"{path}: cannot write gzip; name the output without .gz (and compress it when done)")
    problem = (errno.EISDIR if path.is_dir() else errno.ENOENT if not path.parent.is_dir()
               else errno.EACCES if not os.access(path if path.exists() else path.parent, os.W_OK) else None)
    if problem is not None:
        raise OutputError(f"{path}: cannot write ({os.strerror(problem)})")


class OutputStream:
    """A text stream (an output file, or stdout) whose write failures raise OutputError naming it."""

    def __init__(self, stream: TextIO, name: str, *, owned: bool):
        self.stream = stream
        self.name = name
        self.owned = owned  # close the stream too (stdout stays open)

    def write(self, text: str) -> int:
        with writing(self.name):
            return self.stream.write(text)

    def flush(self) -> None:
        with writing(self.name):
            self.stream.flush()

    def close(self) -> None:
        with writing(self.name):
            if self.owned:
                self.stream.close()
            else:
                self.stream.flush()

    def __getattr__(self, attr: str):
        # isatty, encoding, fileno...: what rich and click look up on the stream they write to
        return getattr(self.stream, attr)

    def __enter__(self) -> "OutputStream":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def output_stream(path: Path | None, stdout: TextIO | None = None) -> OutputStream:
    """The file ``-o PATH`` names (created or truncated) or, for None or "-", stdout."""
    if path is None or str(path) == "-":
        stream = stdout if stdout is not None else sys.stdout
        if stream is None:  # started with stdout closed (`>&-`): Python sets sys.stdout to None
            raise OutputError("stdout: cannot write (it is closed)")
        return OutputStream(stream, "stdout", owned=False)
    with writing(path):
        return OutputStream(open(path, "w", encoding="utf-8", newline=""), str(path), owned=True)


def terminal_text(text: str) -> str:
    """``text`` with its control characters shown escaped: safe to write to a terminal."""
    return _CONTROLS.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def table_cell(text: str) -> str:
    """``text`` for a rich table: control characters shown escaped, square brackets not read as markup."""
    from rich.markup import escape

    return escape(terminal_text(text))


def _closed_pipe() -> None:
    # rich exits with status 1 when the reader is gone (`claimlens evaluate | head -1`); the CLI stops quietly.
    raise BrokenPipeError


def table_console(file: TextIO | None = None, **options):
    """A rich Console for tables: the terminal's width, or ``$COLUMNS``, or 160 for a pipe or a file.

    Without ``file`` it writes to stdout (as an ``OutputStream``).
    """
    from rich.console import Console

    if file is None and not options.get("stderr"):
        file = output_stream(None)
    console = Console(file=file, **options)
    console.on_broken_pipe = _closed_pipe
    columns = os.environ.get("COLUMNS", "")
    # Rich ignores a $COLUMNS that is not a number, and 0 would print nothing.
    if not console.is_terminal and not (columns.isdigit() and int(columns) > 0):
        console.width = UNBOUNDED_WIDTH
    return console


class StreamOutput:
    """Rendered documents to a text stream (stdout, or a file that is not resumable)."""

    done = None  # nothing to resume from

    def __init__(self, stream: TextIO, fmt: str, *, owned: bool = False):
        self.stream = stream
        self.owned = owned  # close the stream too
        self.table = None
        if fmt == "table":
            self.table = TableWriter(table_console(stream, soft_wrap=False))
        else:
            stream.write(header(fmt))

    def write(self, key: int, doc_id: str, payload, sentences: int, error: str | None) -> None:
        if self.table is not None:
            for record in payload:
                self.table.write(record)
        else:
            self.stream.write(payload)

    def flush(self) -> None:
        self.stream.flush()

    def close(self) -> None:
        if self.table is not None:
            self.table.close()
        self.stream.flush()
        if self.owned:
            self.stream.close()

    def __enter__(self) -> "StreamOutput":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class JsonlWriter:
    def __init__(self, stream: TextIO):
        self.stream = stream

    def write(self, record: dict) -> None:
        self.stream.write(_JSON.encode(record) + "\n")

    def close(self) -> None:
        self.stream.flush()


class CsvWriter:
    def __init__(self, stream: TextIO):
        self.stream = stream
        self.writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS, lineterminator="\n")
        self.writer.writeheader()

    def write(self, record: dict) -> None:
        self.writer.writerow(csv_row(record))

    def close(self) -> None:
        self.stream.flush()


def csv_row(record: dict) -> dict:
    if "error" in record:
        return {"doc_id": record["doc_id"], "error_type": record["error"]["type"],
                "error_message": record["error"]["message"]}
    probs = record.get("probs") or {}
    source = record.get("source") or {}
    quote = record.get("quote") or {}
    return {
        **{k: record.get(k) for k in ("doc_id", "index", "start", "end", "label", "skipped", "model", "text")},
        "confidence": "" if record.get("confidence") is None else f"{record['confidence']:.4f}",
        **{f"p_{label}": "" if label not in probs else f"{probs[label]:.4f}" for label in LABELS},
        "source_text": source.get("text", ""),
        "source_type": source.get("type", ""),
        "cues": "; ".join(f"{c['text']}:{c['type']}" for c in record.get("cues", [])),
        "entities": "; ".join(f"{e['text']}:{e['label']}" for e in record.get("entities", [])),
        "quote_id": quote.get("id", ""),
    }


LABEL_STYLES = {"reported_fact": "green", "attribution": "cyan", "speculation": "magenta"}


class TableWriter:
    """A rich table for a person; rows are buffered per document to keep columns aligned."""

    def __init__(self, console):
        self.console = console
        self.rows: list[dict] = []

    def write(self, record: dict) -> None:
        if self.rows and self.rows[-1]["doc_id"] != record["doc_id"]:
            self.flush()
        self.rows.append(record)

    def flush(self) -> None:
        from rich.table import Table

        if not self.rows:
            return
        table = Table(title=table_cell(self.rows[0]["doc_id"]), show_lines=False, expand=True)
        table.add_column("#", justify="right", no_wrap=True)
        table.add_column("label", no_wrap=True)
        table.add_column("conf", justify="right", no_wrap=True)
        # The sentence gets three quarters of the spare width, so an 80-column terminal still shows a readable line.
        table.add_column("source", ratio=1, max_width=24)
        table.add_column("sentence", ratio=3)
        for record in self.rows:
            if "error" in record:
                table.add_row("!", "[red]error[/red]", "", "", table_cell(f"{record['error']['type']}: {record['error']['message']}"))
                continue
            text = table_cell(record["text"])
            if record["label"]:
                label = f"[{LABEL_STYLES[record['label']]}]{record['label']}[/]"
            else:
                label, text = "[dim]skipped[/dim]", f"[dim]({table_cell(str(record['skipped']))})[/dim] {text}"
            confidence = "" if record["confidence"] is None else f"{record['confidence']:.2f}"
            source = record["source"]["text"] if record.get("source") else ""
            table.add_row(str(record["index"]), label, confidence, table_cell(source), text)
        self.console.print(table)
        self.rows = []

    def close(self) -> None:
        self.flush()
