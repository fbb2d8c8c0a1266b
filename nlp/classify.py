"""Classifying articles: a stream of inputs in, a stream of records out, nothing lost.

``run`` is the batch job behind ``claimlens classify``: inputs are read lazily, classified
on worker processes (``nlp.parallel``) in bounded batches, and written document by document
in input order, so memory stays flat whatever the size of the input. Every input document
yields its sentence records or exactly one error record. With an output file the run can
be killed at any moment and resumed (``nlp.resume``).
"""
from __future__ import annotations

import os
import re
import signal
import sys
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator, Protocol, TextIO

from spacy.language import Language

from nlp.errors import UsageError
from nlp.inputs import (
    Article, InputProblem, check_inputs, check_output, count_documents, flag_duplicates, iter_inputs, sources,
)
from nlp.records import doc_records

# Longer documents are classified in pieces cut between sentences (see split_text): spaCy refuses
# texts over its max_length, and one giant document must not hold a worker for minutes.
MAX_CHARS = 100_000
# A likely sentence end: a full stop, question or exclamation mark after a lower-case letter or a digit
# (not an initial: "U.S. Army"), any closing quotes or brackets, then white space before a capital letter or an
# opening quote; or an ideographic full stop. An abbreviation before a name ("Gen. Kim") passes for one: a
# rare cut that costs that one sentence, never a word.
SENTENCE_END = re.compile(r"(?<=[^\W_A-Z][.!?])[\"'”’»)\]]*\s+(?=[\"'“‘«(\[]?[A-Z])|[。！？]")
# Where a piece may end, best first: the last one in reach is taken.
BREAKS = (re.compile(r"\n\n"), SENTENCE_END, re.compile(r"\n"), re.compile(r"\s+"))
# Inputs smaller than this are classified in-process when --workers is not given: starting
# workers and loading the model in each costs more than it saves.
SMALL_INPUT_BYTES = 1_000_000


@dataclass
class RunSummary:
    documents: int = 0
    sentences: int = 0
    errors: int = 0
    resumed: int = 0  # documents the output file already held (resumed run)
    resumed_sentences: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def as_dict(self) -> dict:
        return {
            "documents": self.documents,
            "sentences": self.sentences,
            "errors": self.errors,
            "resumed": self.resumed,
            "elapsed_seconds": round(self.elapsed, 3),
        }


def split_text(text: str, max_chars: int = MAX_CHARS) -> list[tuple[int, str]]:
    """``(offset, piece)`` pairs covering ``text``, each at most ``max_chars`` long.

    A piece ends at the last blank line in reach, else at the last sentence end (``SENTENCE_END``), else
    at the last line break or white space: a sentence is cut only when the text has no sentence end in
    reach, and a word only when it has no white space either (``max_chars`` characters of one "word").
    """
    pieces, start = [], 0
    while len(text) - start > max_chars:
        limit = start + max_chars
        cut = _last_break(text, start, limit)
        pieces.append((start, text[start:cut]))
        start = cut
    pieces.append((start, text[start:]))
    return pieces


def _last_break(text: str, start: int, limit: int) -> int:
    """Where the piece of ``text`` from ``start`` ends: after ``start``, at most at ``limit``."""
    for pattern in BREAKS:
        cut = None
        for match in pattern.finditer(text, start + 1, limit):
            cut = match.end()
        if cut is not None:
            return cut
    return limit


def classify_article(pipeline: Language, article: Article, max_chars: int = MAX_CHARS) -> list[dict]:
    records = []
    for offset, piece in split_text(article.text, max_chars):
        records.extend(doc_records(article.doc_id, pipeline(piece), offset))
    return _renumbered(records)


def _renumbered(records: list[dict]) -> list[dict]:
    for index, record in enumerate(records):
        record["index"] = index
    return records


def classify_articles(
    pipeline: Language, articles: list[Article], *, batch_size: int = 32, max_chars: int = MAX_CHARS
) -> list[list[dict] | dict]:
    """Per article, in order: its sentence records, or its error record when classifying it failed."""
    pieces = [(i, offset, piece) for i, a in enumerate(articles) for offset, piece in split_text(a.text, max_chars)]
    results: list[list[dict]] = [[] for _ in articles]
    try:
        docs = pipeline.pipe((piece for _, _, piece in pieces), batch_size=batch_size)
        for (i, offset, _), doc in zip(pieces, docs):
            results[i].extend(doc_records(articles[i].doc_id, doc, offset))
    except Exception:
        # One bad document must not take its batch down: redo them one by one.
        return [_classify_one(pipeline, a, max_chars) for a in articles]
    return [_renumbered(records) for records in results]


def _classify_one(pipeline: Language, article: Article, max_chars: int) -> list[dict] | dict:
    try:
        return classify_article(pipeline, article, max_chars)
    except Exception as exc:  # a bug, reported as data so the run goes on
        return InputProblem(
            article.doc_id, "processing_error", f"{type(exc).__name__}: {exc}", article.origin
        ).as_record()


def classify_stream(
    items: Iterable[Article | InputProblem],
    pipeline: Language,
    *,
    batch_size: int = 32,
    summary: RunSummary | None = None,
) -> Iterator[list[dict]]:
    """Yield, per input item and in input order, its sentence records or its one error record (in-process)."""
    summary = summary if summary is not None else RunSummary()
    items = iter(items)
    while batch := list(islice(items, batch_size)):
        articles = [item for item in batch if isinstance(item, Article)]
        results = iter(classify_articles(pipeline, articles, batch_size=batch_size))
        for item in batch:
            summary.documents += 1
            records = item.as_record() if isinstance(item, InputProblem) else next(results)
            if isinstance(records, dict):
                summary.errors += 1
                yield [records]
            else:
                summary.sentences += len(records)
                yield records


class Progress(Protocol):
    """Entered once workers are up; told the number of input documents (when known) and the counts after every batch."""

    def __enter__(self): ...
    def __exit__(self, *exc): ...

    def set_total(self, total: int | None) -> None: ...
    def update(self, summary: RunSummary, skipped: int) -> None: ...


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _small_input(inputs: list[str]) -> bool:
    total = 0
    for source in sources(inputs):
        if source.kind == "stdin":
            return False
        if source.kind != "unreadable":
            total += os.stat(source.path).st_size
            if total >= SMALL_INPUT_BYTES:
                return False
    return True


def model_identity(model: str | Path | None) -> tuple[Path, str]:
    """The verified model directory and its name-version, checked here before any worker starts."""
    from nlp.model_store import read_meta, resolve_model_dir, verify

    model_dir = resolve_model_dir(model)  # raises when it is no directory
    meta = read_meta(model_dir)
    verify(model_dir, meta)
    return model_dir.resolve(), f"{meta.get('name')}-{meta.get('version')}"


def open_output(output: Path | None, *, fmt: str, model_name: str, resume: bool, stdout: TextIO):
    from nlp.output import StreamOutput, header, output_stream
    from nlp.resume import ResumableOutput

    if output is None or str(output) == "-":
        return StreamOutput(output_stream(None, stdout), fmt)
    if fmt == "table":
        return StreamOutput(output_stream(output), fmt, owned=True)
    return ResumableOutput(Path(output), fmt=fmt, model=model_name, header=header(fmt), resume=resume)


def run(
    inputs: list[str],
    *,
    output: Path | None = None,
    fmt: str = "jsonl",
    model: str | Path | None = None,
    workers: int | None = None,
    batch_size: int = 32,
    resume: bool = False,
    max_chars: int = MAX_CHARS,
    progress: Progress | None = None,
    stdin: BinaryIO | None = None,
    stdout: TextIO | None = None,
    engine: str = "local",
    scheduler: str | None = None,
) -> RunSummary:
    """Classify ``inputs`` into ``output`` (stdout when None). Returns the run's counts.

    ``workers``: processes to classify on (None: all cores, one for small inputs).
    ``resume``: skip documents ``output`` already holds and append the rest.
    ``engine="dask"``: classify on a dask cluster (``scheduler`` address, or a local one) into
    the directory ``output``; see ``nlp.distributed``.
    """
    from nlp.output import FORMATS, check_writable
    from nlp.parallel import Classifier
    from nlp.resume import document_key

    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})")
    check_output(output, inputs)
    if engine == "dask":
        from nlp.distributed import run_dask

        if fmt != "jsonl":
            raise UsageError("--engine dask writes jsonl parts only")
        if output is None or str(output) == "-":
            raise UsageError("--engine dask needs an output directory (-o DIR)")
        return run_dask(inputs, Path(output), model=model, scheduler=scheduler, workers=workers,
                        batch_size=batch_size, max_chars=max_chars, resume=resume)
    if engine != "local":
        raise UsageError(f"unknown engine {engine!r} (expected local or dask)")
    if scheduler is not None:
        raise UsageError("--scheduler needs --engine dask")
    if resume and (output is None or str(output) == "-"):
        raise UsageError("--resume needs an output file (-o FILE)")
    if resume and fmt == "table":
        raise UsageError("--resume works with jsonl and csv output, not table")
    if workers is not None and workers < 1:
        raise UsageError("--workers must be at least 1")
    check_inputs(inputs)
    check_writable(output)
    model_dir, model_name = model_identity(model)
    if workers is None:
        workers = 1 if _small_input(inputs) else default_workers()
    stdout = stdout if stdout is not None else sys.stdout

    summary = RunSummary()
    with StopOnInterrupt() as stop, \
            Classifier(model_dir, workers=workers, fmt=fmt, batch_size=batch_size, max_chars=max_chars) as classifier, \
            open_output(output, fmt=fmt, model_name=model_name, resume=resume, stdout=stdout) as sink, \
            progress if progress is not None else nullcontext():
        previous = getattr(sink, "previous", None)
        if previous is not None:
            summary.documents, summary.sentences, summary.errors = previous.documents, previous.sentences, previous.errors
            summary.resumed, summary.resumed_sentences = previous.documents, previous.sentences
        if progress is not None:
            # Counting can mean reading every JSONL file once more: off the main path.
            threading.Thread(target=lambda: progress.set_total(count_documents(inputs)), daemon=True).start()
        done = sink.done
        skipped = 0

        def pending() -> Iterator[tuple[Article | InputProblem, int]]:
            nonlocal skipped
            for item in flag_duplicates(iter_inputs(inputs, stdin)):
                key = document_key(item)
                if done is not None and done.take(key):
                    skipped += 1
                    continue
                yield item, key

        for batch, outcomes in classifier.map(_batched(pending(), batch_size)):
            for (item, key), outcome in zip(batch, outcomes):
                sink.write(key, item.doc_id, outcome.payload, outcome.sentences, outcome.error)
                summary.documents += 1
                if outcome.error:
                    summary.errors += 1
                else:
                    summary.sentences += outcome.sentences
                stop.check()  # between documents: each is written whole, records and ledger line
            sink.flush()
            if progress is not None:
                progress.update(summary, skipped)
    return summary


class StopOnInterrupt:
    """Ctrl-C (SIGINT) stops a run between two documents instead of wherever it lands.

    A KeyboardInterrupt raised at an arbitrary point can fall between a document's records and
    its ledger line (a whole document for ``--resume`` to redo) or inside the worker pool's own
    locks. The first Ctrl-C only asks to stop: ``check()`` raises KeyboardInterrupt at the next
    document boundary. A second Ctrl-C interrupts at once. Only the main thread can handle
    signals, and a handler someone else installed is left alone.
    """

    def __init__(self):
        self.requested = False
        self._installed = False

    def __enter__(self) -> "StopOnInterrupt":
        if threading.current_thread() is threading.main_thread() \
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        return self

    def __exit__(self, *exc) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, signal.default_int_handler)

    def _handle(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def check(self) -> None:
        if self.requested:
            raise KeyboardInterrupt


def _batched(items: Iterator, size: int) -> Iterator[list]:
    while batch := list(islice(items, size)):
        yield batch
