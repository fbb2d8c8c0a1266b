"""Where a report's records come from: classify output files (read, nothing recomputed) or articles (classified now).

A ``.jsonl`` input is a classify output file when its first record that is not an error
record has ``index`` and ``label`` keys; otherwise its lines are articles. The model's
``meta.json`` (for the threshold and the reliability section) is the ``--model`` given, the
model that classified the articles, or the model named in the records when it is installed.
"""
from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

from nlp.digests import DigestCounter, digest64
from nlp.errors import InputError, ModelError
from nlp.inputs import (
    STDIN,
    UNREADABLE,
    Article,
    _read_stdin,
    check_inputs,
    duplicate_message,
    flag_duplicates,
    is_blank_line,
    is_jsonl,
    iter_inputs,
    open_jsonl,
    read_to_the_end,
    parse_json_line,
    record_surrogate,
)
from nlp.model_store import models_dir, read_meta, resolve_model_dir
from nlp.report import build_report, record_problem

# How far to look for the first non-error record when deciding what a file holds.
SNIFF_LINES = 50
# A JSON escape of a UTF-16 surrogate ("\ud800"): the lines worth checking for a lone one.
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _first_record(lines: Iterable[bytes]) -> dict | None:
    """The first JSON object of the lines that is not an error record, or None."""
    for lineno, raw in enumerate(lines):
        if lineno >= SNIFF_LINES:
            return None
        if is_blank_line(raw):
            continue
        try:
            record = json.loads(raw)
        except (ValueError, RecursionError):  # not JSON, not UTF-8, an integer of 5,000 digits, deep nesting
            return None
        if not isinstance(record, dict):
            return None
        if "error" in record and "text" not in record:
            continue
        return record
    return None


def is_records(record: dict | None) -> bool:
    return isinstance(record, dict) and "index" in record and "label" in record


def classify_output_record(name: str) -> dict | None:
    """The first record of ``name`` when it is a classify output file, else None.

    None also for stdin and for a file that cannot be read: read as articles, it becomes an
    ``unreadable`` error record like any other.
    """
    path = Path(name)
    if name == STDIN or not (path.is_file() and is_jsonl(path)):
        return None
    try:
        with open_jsonl(path) as fh:
            record = _first_record(fh)
    except UNREADABLE:
        return None
    return record if is_records(record) else None


def refuse_classify_output(inputs: list[str], command: str, stdin: io.BufferedReader | None = None) -> None:
    """InputError for a classify output file given to a command that reads articles (entities, suggest):
    each sentence record would be taken for an article.

    Of ``stdin`` (``peekable_stdin()``, to be read next) only what one peek holds is looked at (a buffer, 8 KiB):
    a first record longer than that is not recognised there.
    """
    for name in inputs:
        if name == STDIN and stdin is not None:
            records = is_records(_first_record(io.BytesIO(stdin.peek())))
        else:
            records = classify_output_record(name) is not None
        if records:
            raise InputError(f"{name}: this is classify output (sentence records), not articles: "
                             f"give {command} the articles it was made from")


def read_records(source: Path | bytes) -> Iterator[dict]:
    """Records of a classify output; a line that is not a record becomes an error record, and so does the
    rest of a file that cannot be read to its end (a truncated ``.gz``)."""
    name = "stdin" if isinstance(source, bytes) else source.name
    yield from read_to_the_end(lambda: io.BytesIO(source) if isinstance(source, bytes) else open_jsonl(source),
                               lambda lines: _file_records(lines, name),
                               lambda why: {"doc_id": f"{name}:?", "error": {"type": "unreadable", "message": why}})


def _file_records(lines: Iterable[bytes], name: str) -> Iterator[dict]:
    for lineno, raw in enumerate(lines, 1):
        if is_blank_line(raw):
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            record, why = None, f"not UTF-8 at byte {exc.start}"
        else:
            record, why = parse_json_line(line.removeprefix("\ufeff"))
        if why is not None:
            yield {"doc_id": f"{name}:{lineno}", "error": {"type": "not_json", "message": f"line {lineno} is not JSON ({why})"}}
            continue
        problem = record_problem(record) if isinstance(record, dict) else "it is not a JSON object"
        if problem is None and SURROGATE_ESCAPE.search(line):
            # Not half of an escaped emoji: no character, and no report could be written with it.
            problem = record_surrogate(record)
        if problem is not None:
            yield {"doc_id": f"{name}:{lineno}", "error": {
                "type": "not_record", "message": f"line {lineno} is not a classify record: {problem}"}}
            continue
        yield record


def _unique_documents(records: Iterable[dict], seen_ids: DigestCounter) -> Iterator[dict]:
    """A classify output's records, less the documents whose id an earlier input of the report already used:
    each of those becomes one ``duplicate_id`` error record, as in ``classify``."""
    current, last_index, duplicate = object(), 0, False
    for record in records:
        doc_id = record.get("doc_id")
        if "error" in record:
            # A document that failed, or a line that is no record: the document around it goes on.
            if seen_ids.add(digest64(str(doc_id))) > 0:
                yield _duplicate(doc_id)
            else:
                yield record
            continue
        index = record.get("index") or 0
        # A document's records are consecutive in a classify output, their index rising.
        if doc_id != current or index <= last_index:
            current = doc_id
            duplicate = seen_ids.add(digest64(str(doc_id))) > 0
            if duplicate:
                yield _duplicate(doc_id)
        last_index = index
        if not duplicate:
            yield record


def _duplicate(doc_id) -> dict:
    return {"doc_id": doc_id, "error": {
        "type": "duplicate_id", "message": duplicate_message(doc_id, fate="left out of the report")}}


def _classified(names: list[str], pipeline, stdin_data: bytes | None, texts: dict, seen_ids: DigestCounter,
                ) -> Iterator[dict]:
    from nlp.classify import classify_stream

    def items():
        for name in names:
            if name == STDIN:
                stream = _read_stdin(io.BufferedReader(io.BytesIO(stdin_data or b"")))
            else:
                stream = iter_inputs([name])
            for item in stream:
                if isinstance(item, Article):
                    # Kept for the HTML view, which shows the article as written.
                    texts.setdefault(item.doc_id, item.text)
                yield item

    for group in classify_stream(flag_duplicates(items(), seen_ids), pipeline):
        yield from group


def _meta_for(model: str | None, names: list[str]) -> dict | None:
    """meta.json of the --model given, else of the first model named in the records that is installed."""
    if model is not None:
        return read_meta(resolve_model_dir(model))
    for name in names:
        try:
            return read_meta(models_dir() / name)
        except ModelError:
            continue  # not installed here, or unreadable: the report goes on without it
    return None


def make_report(
    inputs: list[str],
    *,
    model: str | None = None,
    threshold: float | None = None,
    top: int = 10,
    keep_sentences: bool = False,
    stdin: BinaryIO | None = None,
) -> dict:
    """Read classify outputs and/or classify articles, then ``nlp.report.build_report`` over them all."""
    if not inputs:
        raise InputError("no input given (pass articles, a classify output file, or - for stdin)")
    stdin_data = None
    # In input order: a classify output file is read as it is, a run of article inputs is classified.
    plan: list[tuple[str, object]] = []
    model_names: list[str] = []
    for name in inputs:
        if name == STDIN:
            stdin_data = (stdin if stdin is not None else sys.stdin.buffer).read()
            first = _first_record(io.BytesIO(stdin_data))
            source = stdin_data if is_records(first) else None
        else:
            first = classify_output_record(name)
            source = Path(name) if first is not None else None
        if source is not None:
            plan.append(("records", source))
            if isinstance(first.get("model"), str):
                model_names.append(first["model"])
        elif plan and plan[-1][0] == "articles":
            plan[-1][1].append(name)
        else:
            plan.append(("articles", [name]))
    article_names = [name for kind, names in plan if kind == "articles" for name in names]
    if any(name != STDIN for name in article_names):
        check_inputs([name for name in article_names if name != STDIN])

    texts: dict[str, str] = {}
    pipeline = meta = None
    if article_names:
        from nlp.pipeline import CLASSIFIER, load

        pipeline = load(model)
        meta = pipeline.get_pipe(CLASSIFIER).meta
    else:
        meta = _meta_for(model, [name for name in model_names if name])

    def all_records():
        seen_ids = DigestCounter()  # one report: an id reused by a later article is a duplicate_id error
        for kind, source in plan:
            if kind == "records":
                yield from _unique_documents(read_records(source), seen_ids)
            else:
                yield from _classified(source, pipeline, stdin_data, texts, seen_ids)

    return build_report(all_records(), meta=meta, threshold=threshold, top=top,
                        keep_sentences=keep_sentences, texts=texts)
