"""Reading articles to classify: ``.txt`` files, directories, ``.jsonl`` (optionally gzipped), stdin.

Inputs are read lazily, one document at a time. A problem with one document (bad bytes,
empty text, a malformed JSON line) becomes an ``InputProblem`` in the stream — never an
exception that stops the run — so every input record shows up in the output. Problems
with an input as a whole (missing path, a directory with no articles) are found before
anything runs, by ``check_inputs``, and raised as ``InputError``.
"""
from __future__ import annotations

import gzip
import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

from nlp.errors import InputError

STDIN = "-"
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson")


@dataclass(frozen=True)
class Article:
    doc_id: str
    text: str
    origin: str  # file (and line) it came from


@dataclass(frozen=True)
class InputProblem:
    doc_id: str
    type: str  # short stable code: undecodable, empty, not_json, missing_text, ...
    message: str
    origin: str

    def as_record(self) -> dict:
        return {"doc_id": self.doc_id, "error": {"type": self.type, "message": self.message}, "origin": self.origin}


def _is_jsonl(path: Path) -> bool:
    return path.name.endswith(JSONL_SUFFIXES)


def check_inputs(inputs: list[str]) -> None:
    """Raise InputError for inputs that cannot be read at all, before any work starts."""
    if not inputs:
        raise InputError("no input given (pass files, directories, or - for stdin)")
    for name in inputs:
        if name == STDIN:
            continue
        path = Path(name)
        if not path.exists():
            raise InputError(f"{name}: no such file or directory")
        if path.is_dir() and next(iter(sorted(path.rglob("*.txt"))), None) is None:
            raise InputError(f"{name}: directory contains no .txt articles")
        if path.is_file() and not (path.suffix == ".txt" or _is_jsonl(path)):
            raise InputError(f"{name}: unsupported input type (expected .txt, .jsonl, .jsonl.gz or a directory)")


def iter_inputs(inputs: list[str], stdin: BinaryIO | None = None) -> Iterator[Article | InputProblem]:
    check_inputs(inputs)
    for name in inputs:
        if name == STDIN:
            yield from _read_stdin(stdin if stdin is not None else sys.stdin.buffer)
            continue
        path = Path(name)
        if path.is_dir():
            for txt in sorted(path.rglob("*.txt")):
                yield _read_txt(txt)
        elif _is_jsonl(path):
            yield from _read_jsonl_file(path)
        else:
            yield _read_txt(path)


def _decode(data: bytes, doc_id: str, origin: str) -> Article | InputProblem:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return InputProblem(doc_id, "undecodable", f"not valid UTF-8 at byte {exc.start}", origin)
    return _article(doc_id, text, origin)


def _article(doc_id: str, text: str, origin: str) -> Article | InputProblem:
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        return InputProblem(doc_id, "empty", "the article has no text", origin)
    return Article(doc_id, text, origin)


def _read_txt(path: Path) -> Article | InputProblem:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return InputProblem(path.stem, "unreadable", f"cannot read file ({exc.strerror})", str(path))
    return _decode(data, path.stem, str(path))


def _read_jsonl_file(path: Path) -> Iterator[Article | InputProblem]:
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            yield from _read_jsonl_lines(fh, path.name, str(path))
    except (OSError, EOFError) as exc:  # truncated gzip stream, unreadable file
        yield InputProblem(f"{path.name}:?", "unreadable", f"cannot read the rest of the file ({exc})", str(path))


def _read_jsonl_lines(lines, stem: str, origin: str) -> Iterator[Article | InputProblem]:
    for lineno, raw in enumerate(lines, 1):
        where = f"{origin}:{lineno}"
        fallback_id = f"{stem}:{lineno}"
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield InputProblem(fallback_id, "undecodable", f"line {lineno} is not valid UTF-8 at byte {exc.start}", where)
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield InputProblem(fallback_id, "not_json", f"line {lineno} is not JSON ({exc.msg})", where)
            continue
        if not isinstance(record, dict):
            yield InputProblem(fallback_id, "not_object", f"line {lineno} is not a JSON object", where)
            continue
        raw_id = record.get("id", record.get("doc_id"))
        doc_id = str(raw_id) if raw_id is not None else fallback_id
        text = record.get("text")
        if text is None:
            yield InputProblem(doc_id, "missing_text", f"line {lineno} has no \"text\" field", where)
        elif not isinstance(text, str):
            yield InputProblem(doc_id, "bad_text", f"line {lineno}: \"text\" is not a string", where)
        else:
            yield _article(doc_id, text, where)


def _read_stdin(stream: BinaryIO) -> Iterator[Article | InputProblem]:
    # Peek at the first non-blank byte: JSON lines start with "{", anything else is one article.
    buffered = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(stream)
    head = buffered.peek(4096).lstrip()
    if head.startswith(b"{"):
        yield from _read_jsonl_lines(buffered, "stdin", "stdin")
    else:
        yield _decode(buffered.read(), "stdin", "stdin")
