"""Reading sentence labels from other tools and checking them before they reach training.

Formats (auto-detected, or named with ``fmt``):

* ``claimlens`` — JSONL, one sentence a line: ``{"text", "label"}`` plus optional ``doc_id``
  (or ``doc``), ``context_before``/``context_after`` (lists of sentences), ``start``/``end``,
  ``why``, ``labelled_by``, ``answer`` (``accept``; ``ignore`` = skipped). ``claimlens label``
  writes it; ``tests/data/*.labels.jsonl`` is in it.
* ``claimlens-docs`` — labelled documents as in ``training/data/docs.jsonl``.
* ``prodigy`` — textcat JSONL: ``{"text", "label", "answer"}`` (binary) or
  ``{"text", "accept": [...], "answer"}`` (choice).
* ``doccano`` — text classification JSONL: ``{"text", "label": [...]}``.
* ``labelstudio`` — Label Studio "JSON" export (an array of tasks) of a single-choice
  classification.
* ``csv`` — header ``text,label`` with optional ``doc_id`` and ``context`` (the passage the
  sentence comes from, or the text just before it); ``.tsv`` is read tab-separated.

Label names go through the alias table ``resources/labels/aliases.tsv``. Every input record
ends up either accepted or as a ``Problem`` with file and line: nothing is dropped silently.
Conflicts (the same sentence with different labels, within the new files or against the base
corpus) are resolved only as ``on_conflict`` says, and always reported.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from nlp.corpus import NONE_LABEL, VALID_LABELS, LabelledDoc, not_a_file, read_docs, read_splits
from nlp.errors import DataError, InputError, UsageError
from nlp.inputs import UNREADABLE, open_jsonl, printable_path, record_surrogate, unreadable_reason

FORMATS = ("claimlens", "claimlens-docs", "prodigy", "doccano", "labelstudio", "csv")
ON_CONFLICT = ("fail", "keep-new", "keep-old")
ALIASES_PATH = Path(__file__).parent / "resources" / "labels" / "aliases.tsv"
MAX_CHARS = 1000  # the longest sentence in the corpus has under 700 characters
_SAMPLE = 50  # records looked at to detect a JSONL format


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Origin:
    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Passage:
    """The text a labelled sentence sits in, with the span of every sentence of it."""

    key: str
    text: str
    spans: tuple[tuple[int, int], ...]
    doc_id: str | None = None


@dataclass
class LabelRecord:
    text: str
    label: str | None  # a claimlens label after the alias table, None if not (yet) known
    origin: Origin
    fmt: str
    raw_label: object = None
    doc_id: str | None = None
    context_before: list[str] = field(default_factory=list)
    context_after: list[str] = field(default_factory=list)
    passage: Passage | None = None
    span_index: int | None = None  # which span of ``passage`` this sentence is
    answer: str = "accept"
    extra: dict = field(default_factory=dict)  # why, labelled_by, id, offsets in the source

    @property
    def key(self) -> str:
        return sentence_key(self.text)


# Problem codes that leave a record out because something is wrong with it.
FAULTS = frozenset({"not_json", "missing_text", "empty_text", "bad_text", "too_long", "missing_label",
                    "unknown_label", "multi_label", "malformed"})


@dataclass(frozen=True)
class Problem:
    origin: Origin
    code: str  # stable: not_json, missing_text, empty_text, bad_text, too_long, missing_label, unknown_label,
    #            multi_label, not_accepted, duplicate, in_corpus, conflict, malformed
    message: str
    fatal: bool = False

    def __str__(self) -> str:
        return f"{self.origin}: {self.code}: {self.message}"

    def as_dict(self) -> dict:
        return {"file": self.origin.path, "line": self.origin.line, "code": self.code,
                "message": self.message, "fatal": self.fatal}


@dataclass(frozen=True)
class Relabel:
    """A base-corpus sentence whose label a new record overrides (``keep-new``)."""

    doc_id: str
    sentence: int
    split: str | None
    old: str | None
    new: str
    origin: Origin


@dataclass
class FileSummary:
    path: str
    sha256: str
    format: str
    records: int = 0
    accepted: int = 0

    def as_dict(self) -> dict:
        return {"path": self.path, "sha256": self.sha256, "format": self.format,
                "records": self.records, "accepted": self.accepted}


@dataclass
class ImportReport:
    files: list[FileSummary]
    records: list[LabelRecord]  # accepted, in file and line order
    problems: list[Problem]
    relabels: list[Relabel]
    on_conflict: str
    # The imported records behind ``relabels`` (``keep-new``): not new sentences, but labels all the same.
    relabelling: list[LabelRecord] = field(default_factory=list)

    def labels_to_write(self) -> list[LabelRecord]:
        """Every label the import keeps, in file and line order: the accepted records and the relabels."""
        files = {summary.path: i for i, summary in enumerate(self.files)}
        # Sentences of one labelled document share its line: their place in it comes next.
        return sorted(self.records + self.relabelling,
                      key=lambda r: (files.get(r.origin.path, len(files)), r.origin.line, r.span_index or 0))

    @property
    def conflicts(self) -> list[Problem]:
        return [p for p in self.problems if p.code == "conflict"]

    @property
    def failed(self) -> bool:
        return any(p.fatal for p in self.problems)

    @property
    def rejected(self) -> bool:
        """Some record was left out for a fault in it (not for a duplicate, a resolved conflict or an annotator's
        own reject/ignore answer)."""
        return any(p.code in FAULTS for p in self.problems)

    def counts(self) -> dict[str, int]:
        return dict(Counter(p.code for p in self.problems))

    def label_counts(self) -> dict[str, int]:
        return dict(Counter(r.label for r in self.records))

    def summary(self) -> dict:
        return {
            "files": [f.as_dict() for f in self.files],
            "accepted": len(self.records),
            "labels": self.label_counts(),
            "problem_counts": self.counts(),
            "relabelled_in_corpus": len(self.relabels),
            "on_conflict": self.on_conflict,
        }


class ConflictError(DataError):
    """Conflicting labels with ``on_conflict="fail"``; ``report`` lists every one with file and line."""

    def __init__(self, report: ImportReport):
        n = len(report.conflicts)
        super().__init__(
            f"{n} conflicting label{'s' if n != 1 else ''} (listed above); nothing was written — "
            "fix the files or pass --on-conflict keep-new|keep-old"
        )
        self.report = report


# --------------------------------------------------------------------------- text and labels

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "‚": "'"})
_SPACE = re.compile(r"\s+")


def sentence_key(text: str) -> str:
    """What two sentences must share to count as the same sentence (case, quotes and spacing aside)."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_QUOTES)
    return _SPACE.sub(" ", text).strip()


def _alias_key(name: str) -> str:
    return re.sub(r"[\s_\-]+", "_", name.strip().casefold())


class AliasTable:
    def __init__(self, aliases: dict[str, str]):
        self.aliases = {_alias_key(k): v for k, v in aliases.items()}
        for label in VALID_LABELS:
            self.aliases[_alias_key(label)] = label
        bad = {k: v for k, v in self.aliases.items() if v not in VALID_LABELS}
        if bad:
            raise UsageError(f"label aliases must map to one of {sorted(VALID_LABELS)}; got {bad}")

    @classmethod
    def load(cls, path: Path = ALIASES_PATH, extra: dict[str, str] | None = None) -> "AliasTable":
        aliases: dict[str, str] = {}
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip() or line.startswith("#"):
                    continue
                parts = line.rstrip("\n").split("\t")
                if len(parts) != 2:
                    raise DataError(f"{path}:{lineno}: expected alias<TAB>label")
                aliases[parts[0]] = parts[1]
        aliases.update(extra or {})
        return cls(aliases)

    def resolve(self, raw) -> str | None:
        if not isinstance(raw, str):
            return None
        return self.aliases.get(_alias_key(raw))


def parse_alias_options(values: Iterable[str]) -> dict[str, str]:
    """``["fact=reported_fact", ...]`` from the command line."""
    aliases = {}
    for value in values:
        name, sep, label = value.partition("=")
        if not sep or not name.strip() or not label.strip():
            raise UsageError(f"--alias {value!r}: expected NAME=LABEL")
        aliases[name.strip()] = label.strip()
    return aliases


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- reading


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise InputError(not_a_file(path))
    try:
        with open_jsonl(path) as fh:
            data = fh.read()
    except UNREADABLE as exc:
        raise InputError(f"{path}: cannot read ({unreadable_reason(exc)})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid UTF-8 at byte {exc.start}") from None


def _jsonl_objects(path: Path, text: str) -> Iterator[tuple[int, dict | None, str | None]]:
    """(line, object, error) for every non-blank line."""
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield lineno, None, f"not JSON ({exc.msg})"
            continue
        except (ValueError, RecursionError) as exc:  # valid syntax past json's limits: huge integer, deep nesting
            yield lineno, None, f"not JSON ({exc})"
            continue
        if not isinstance(obj, dict):
            yield lineno, None, "not a JSON object"
            continue
        yield lineno, obj, None


def _json_array_items(text: str) -> Iterator[tuple[int, object]]:
    """(line, item) for each element of a top-level JSON array, so problems can name a line.

    Raises JSONDecodeError where the text stops being that array (a truncated export, a missing comma).
    """
    decoder = json.JSONDecoder()
    pos = _skip_space(text, text.index("[") + 1)
    if pos < len(text) and text[pos] == "]":
        _expect_end(text, pos + 1)
        return
    while True:
        try:
            item, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            raise
        except (ValueError, RecursionError) as exc:  # valid syntax past json's limits: huge integer, deep nesting
            raise json.JSONDecodeError(str(exc), text, pos) from None
        yield text.count("\n", 0, pos) + 1, item
        pos = _skip_space(text, end)
        if pos < len(text) and text[pos] == "]":
            _expect_end(text, pos + 1)
            return
        if pos >= len(text) or text[pos] != ",":
            raise json.JSONDecodeError("Expecting ',' delimiter or ']' to close the array", text,
                                       min(pos, len(text.rstrip())))
        pos = _skip_space(text, pos + 1)


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _expect_end(text: str, pos: int) -> None:
    pos = _skip_space(text, pos)
    if pos < len(text):
        raise json.JSONDecodeError("Extra data after the array", text, pos)


NAME_THE_FORMAT = "name its format: --format for labels import, --label-format for train"


def detect_format(path: Path, text: str | None = None, *, format_hint: str = NAME_THE_FORMAT) -> str:
    """The format of most of the first records (ties: the earliest one's), so one stray line cannot decide it."""
    name = path.name.lower().removesuffix(".gz")
    if name.endswith((".csv", ".tsv")):
        return "csv"
    text = _read_text(path) if text is None else text
    if text.lstrip().startswith("["):
        return "labelstudio"
    sample = [obj for _, obj, _ in _jsonl_objects(path, text) if obj is not None][:_SAMPLE]
    if not sample:
        raise InputError(f"{path}: no JSON label records ({format_hint})")
    formats = [_record_format(obj) or "claimlens" for obj in sample]
    votes = Counter(formats)
    return max(votes, key=lambda fmt: (votes[fmt], -formats.index(fmt)))


def _record_format(obj: dict) -> str | None:
    """The format a JSONL record's own keys show; None for a plain ``{"text", "label"}`` (claimlens, or Prodigy's
    binary interface without its hashes)."""
    if "sentences" in obj:
        return "claimlens-docs"
    if isinstance(obj.get("label"), list) or isinstance(obj.get("labels"), list):
        return "doccano"
    if ("_input_hash" in obj or "_task_hash" in obj or isinstance(obj.get("accept"), list)
            or obj.get("answer") == "reject"):
        return "prodigy"
    if "data" in obj and "annotations" in obj:
        return "labelstudio"
    return None


def _context(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v for v in value if v.strip()]
    raise TypeError("context must be a string or a list of strings")


def _text_or_problem(obj: dict, origin: Origin, key: str = "text") -> str | Problem:
    if key not in obj:
        return Problem(origin, "missing_text", f'no "{key}" field')
    if not isinstance(obj[key], str):
        return Problem(origin, "malformed", f'"{key}" is not a string')
    return obj[key]


# Formats whose records another reader would misread rather than reject (a doccano label list as a label name).
_DISTINCT_FORMATS = frozenset({"claimlens-docs", "doccano", "labelstudio"})


def _jsonl_records(path: Path, text: str, fmt: str, *,
                   with_text: bool = True) -> Iterator[Problem | tuple[Origin, dict, str | None]]:
    """Each JSONL line as ``(origin, object, sentence text)``, or the Problem that stops it (not JSON, another
    format's record, no text)."""
    for lineno, obj, error in _jsonl_objects(path, text):
        origin = Origin(str(path), lineno)
        if error:
            yield Problem(origin, "not_json", error)
            continue
        looks = _record_format(obj)
        if looks in _DISTINCT_FORMATS and looks != fmt:
            yield Problem(origin, "malformed", f"a {looks} record in a file read as {fmt} (one file, one format)")
            continue
        if not with_text:
            yield origin, obj, None
            continue
        sentence = _text_or_problem(obj, origin)
        yield sentence if isinstance(sentence, Problem) else (origin, obj, sentence)


def _read_claimlens(path: Path, text: str, aliases: AliasTable) -> Iterator[LabelRecord | Problem]:
    for item in _jsonl_records(path, text, "claimlens"):
        if isinstance(item, Problem):
            yield item
            continue
        origin, obj, sentence = item
        answer = obj.get("answer", "accept")
        if answer != "accept":
            yield Problem(origin, "not_accepted", f"answer is {answer!r} (skipped while labelling)")
            continue
        try:
            before, after = _context(obj.get("context_before")), _context(obj.get("context_after"))
        except TypeError as exc:
            yield Problem(origin, "malformed", str(exc))
            continue
        doc_id = obj.get("doc_id", obj.get("doc"))
        yield LabelRecord(
            text=sentence, label=aliases.resolve(obj.get("label")), raw_label=obj.get("label"),
            origin=origin, fmt="claimlens", doc_id=None if doc_id is None else str(doc_id),
            context_before=before, context_after=after,
            extra={k: obj[k] for k in ("id", "why", "labelled_by", "start", "end") if k in obj},
        )


def _read_claimlens_docs(path: Path, text: str, aliases: AliasTable) -> Iterator[LabelRecord | Problem]:
    for item in _jsonl_records(path, text, "claimlens-docs", with_text=False):
        if isinstance(item, Problem):
            yield item
            continue
        origin, obj, _ = item
        try:
            doc_id, doc_text, sentences = str(obj["id"]), obj["text"], obj["sentences"]
            spans = tuple((int(s["start"]), int(s["end"])) for s in sentences)
        except (KeyError, TypeError, ValueError) as exc:
            yield Problem(origin, "malformed", f"not a labelled document ({type(exc).__name__}: {exc})")
            continue
        if not isinstance(doc_text, str) or any(not (0 <= a <= b <= len(doc_text)) for a, b in spans):
            yield Problem(origin, "malformed", f"document {doc_id}: sentence offsets out of range")
            continue
        passage = Passage(f"{path}#{doc_id}", doc_text, spans, doc_id)
        for index, sent in enumerate(sentences):
            if sent.get("label") is None:
                continue  # an unlabelled sentence stays in the passage as context
            yield LabelRecord(
                text=doc_text[sent["start"]:sent["end"]], label=aliases.resolve(sent["label"]),
                raw_label=sent["label"], origin=origin, fmt="claimlens-docs", doc_id=doc_id,
                passage=passage, span_index=index,
                extra={"sentence": sent.get("i", index),
                       **{k: sent[k] for k in ("why", "labelled_by") if k in sent}},
            )


def _single(values, origin: Origin, what: str) -> object | Problem:
    if not isinstance(values, list):
        return Problem(origin, "malformed", f"{what} is not a list")
    if not values:
        return Problem(origin, "missing_label", f"{what} is empty")
    if len(values) > 1:
        return Problem(origin, "multi_label", f"{what} has {len(values)} labels {values}; one is needed")
    return values[0]


def _read_prodigy(path: Path, text: str, aliases: AliasTable) -> Iterator[LabelRecord | Problem]:
    for item in _jsonl_records(path, text, "prodigy"):
        if isinstance(item, Problem):
            yield item
            continue
        origin, obj, sentence = item
        answer = obj.get("answer", "accept")
        if "accept" in obj:  # choice interface: the chosen options
            if answer != "accept":
                yield Problem(origin, "not_accepted", f"answer is {answer!r}")
                continue
            raw = _single(obj["accept"], origin, '"accept"')
        else:  # binary interface: "is it LABEL?"
            if answer == "reject":
                yield Problem(origin, "not_accepted",
                              f"binary answer 'reject' for {obj.get('label')!r} says what the sentence is not, "
                              "not what it is")
                continue
            if answer != "accept":
                yield Problem(origin, "not_accepted", f"answer is {answer!r}")
                continue
            raw = obj.get("label")
        if isinstance(raw, Problem):
            yield raw
            continue
        meta = obj.get("meta") if isinstance(obj.get("meta"), dict) else {}
        doc_id = meta.get("doc_id", meta.get("source"))
        yield LabelRecord(
            text=sentence, label=aliases.resolve(raw), raw_label=raw, origin=origin, fmt="prodigy",
            doc_id=None if doc_id is None else str(doc_id),
        )


def _read_doccano(path: Path, text: str, aliases: AliasTable) -> Iterator[LabelRecord | Problem]:
    for item in _jsonl_records(path, text, "doccano"):
        if isinstance(item, Problem):
            yield item
            continue
        origin, obj, sentence = item
        key = "label" if "label" in obj else "labels"
        if key not in obj:
            yield Problem(origin, "missing_label", 'no "label" field')
            continue
        raw = _single(obj[key], origin, f'"{key}"')
        if isinstance(raw, Problem):
            yield raw
            continue
        if not isinstance(raw, str):
            yield Problem(origin, "malformed", f"label {raw!r} is not a class name (span labels are not supported)")
            continue
        yield LabelRecord(text=sentence, label=aliases.resolve(raw), raw_label=raw, origin=origin, fmt="doccano",
                          extra={"id": obj["id"]} if "id" in obj else {})


def _task_text(data: dict) -> str | None:
    if isinstance(data.get("text"), str):
        return data["text"]
    strings = [v for v in data.values() if isinstance(v, str)]
    return strings[0] if len(strings) == 1 else None


def _read_labelstudio(path: Path, text: str, aliases: AliasTable) -> Iterator[LabelRecord | Problem]:
    if not text.lstrip().startswith("["):
        yield Problem(Origin(str(path), 1), "malformed", "a Label Studio JSON export is a JSON array of tasks")
        return
    try:
        items = list(_json_array_items(text))
    except json.JSONDecodeError as exc:
        yield Problem(Origin(str(path), exc.lineno), "not_json", f"not JSON ({exc.msg})")
        return
    for lineno, task in items:
        origin = Origin(str(path), lineno)
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            yield Problem(origin, "malformed", 'not a Label Studio task (no "data"); use the JSON export, not JSON-MIN')
            continue
        sentence = _task_text(task["data"])
        if sentence is None:
            yield Problem(origin, "missing_text", 'task "data" has no "text" field')
            continue
        labels = _chosen_labels(task.get("annotations") or [])
        if isinstance(labels, str):
            yield Problem(origin, "malformed", labels)
            continue
        if not labels:
            yield Problem(origin, "missing_label", "task has no (non-cancelled) choice annotation")
            continue
        # Annotators who agree make one record; disagreeing ones become a conflict below.
        distinct = list(dict.fromkeys(json.dumps(label) for label in labels))
        for raw in (json.loads(d) for d in distinct):
            if isinstance(raw, list):
                yield Problem(origin, "multi_label", f"annotation has {len(raw)} choices {raw}; one is needed")
                continue
            yield LabelRecord(text=sentence, label=aliases.resolve(raw), raw_label=raw, origin=origin,
                              fmt="labelstudio", extra={"id": task["id"]} if "id" in task else {})


def _chosen_labels(annotations) -> list[object] | str:
    """The choice of each non-cancelled annotation (a list where it has several), or what is wrong with their shape."""
    if not isinstance(annotations, list) or not all(isinstance(a, dict) for a in annotations):
        return '"annotations" is not a list of objects'
    labels: list[object] = []
    for annotation in annotations:
        if annotation.get("was_cancelled"):
            continue
        results = annotation.get("result", [])
        if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
            return 'an annotation\'s "result" is not a list of objects'
        choices = []
        for result in results:
            if result.get("type") != "choices":
                continue
            value = result.get("value", {})
            chosen = (value.get("choices") or []) if isinstance(value, dict) else None
            if not isinstance(chosen, list):
                return 'a result\'s "value" has no list of "choices"'
            choices.extend(chosen)
        if choices:
            labels.append(choices if len(choices) > 1 else choices[0])
    return labels


_CONTEXT_PIPELINE = None


def _segment(text: str) -> list[tuple[int, int]]:
    """Sentence spans of a context passage, by the project's own segmenter (trimmed)."""
    global _CONTEXT_PIPELINE
    if _CONTEXT_PIPELINE is None:
        import spacy

        import nlp.segmentation  # noqa: F401  (registers the factory)

        _CONTEXT_PIPELINE = spacy.blank("en")
        _CONTEXT_PIPELINE.add_pipe("claimlens_segmenter")
    spans = []
    for sent in _CONTEXT_PIPELINE(text).sents:
        stripped = sent.text.strip()
        if stripped:
            start = sent.start_char + sent.text.index(stripped)
            spans.append((start, start + len(stripped)))
    return spans


def _passage_around(context: str, sentence: str, key: str) -> tuple[Passage, int]:
    """The context passage with the sentence in it: where it occurs, or right after the context."""
    at = context.find(sentence)
    if at < 0:
        context = context.rstrip()
        text = f"{context} {sentence}"
        spans = _segment(context) + [(len(context) + 1, len(text))]
        return Passage(key, text, tuple(spans)), len(spans) - 1
    end = at + len(sentence)
    spans = _segment(context[:at]) + [(at, end)]
    target = len(spans) - 1
    spans.extend((end + a, end + b) for a, b in _segment(context[end:]))
    return Passage(key, context, tuple(spans)), target


def _read_csv(path: Path, text: str, aliases: AliasTable) -> Iterator[LabelRecord | Problem]:
    delimiter = "\t" if path.name.lower().removesuffix(".gz").endswith(".tsv") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = _csv_rows(reader)
    header = next(rows, None)
    if header is None:
        return
    if isinstance(header, csv.Error):
        yield Problem(Origin(str(path), 1), "malformed", f"unreadable header ({header})")
        return
    header = [h.strip().casefold() for h in header]
    if "text" not in header or "label" not in header:
        yield Problem(Origin(str(path), 1), "malformed", f"the header needs text and label columns; it has {header}")
        return
    column = {name: header.index(name) for name in ("text", "label", "doc_id", "context") if name in header}
    line = reader.line_num + 1
    for row in rows:
        origin = Origin(str(path), line)
        line = reader.line_num + 1
        if isinstance(row, csv.Error):
            yield Problem(origin, "malformed", f"unreadable row ({row})")
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield Problem(origin, "malformed", f"{len(row)} columns, the header has {len(header)}")
            continue
        cell = {name: row[i] for name, i in column.items()}
        sentence, raw = cell["text"], cell["label"].strip()
        if not raw:
            yield Problem(origin, "missing_label", "the label column is empty")
            continue
        record = LabelRecord(text=sentence, label=aliases.resolve(raw), raw_label=raw, origin=origin, fmt="csv",
                             doc_id=cell.get("doc_id") or None)
        context = cell.get("context", "")
        if context.strip() and sentence.strip():
            record.passage, record.span_index = _passage_around(context, sentence.strip(), f"{path}:{origin.line}")
        yield record


def _csv_rows(reader) -> Iterator[list[str] | csv.Error]:
    """Each row, or the error that stopped it (a field over the csv module's size limit): the reader goes on
    with the next line, so one bad row does not end the file."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield exc


READERS = {
    "claimlens": _read_claimlens,
    "claimlens-docs": _read_claimlens_docs,
    "prodigy": _read_prodigy,
    "doccano": _read_doccano,
    "labelstudio": _read_labelstudio,
    "csv": _read_csv,
}


def read_label_file(path: Path, *, fmt: str | None = None, aliases: AliasTable | None = None,
                    format_hint: str = NAME_THE_FORMAT) -> tuple[str, list[LabelRecord | Problem]]:
    """The file's format and, in order, a record or a problem for each of its entries (no validation).
    ``format_hint`` tells the caller's user how to name a format that cannot be detected."""
    if fmt is not None and fmt not in READERS:
        raise UsageError(f"unknown label format {fmt!r}; choose from {', '.join(FORMATS)}")
    text = _read_text(path)
    fmt = fmt or detect_format(path, text, format_hint=format_hint)
    return fmt, list(READERS[fmt](path, text, aliases or AliasTable.load()))


# --------------------------------------------------------------------------- validation


def _label_problem(record: LabelRecord, aliases: AliasTable, max_chars: int) -> Problem | None:
    if not record.text.strip():
        return Problem(record.origin, "empty_text", "the sentence is empty or whitespace")
    if why := record_surrogate(label_row(record)):  # JSON can escape one, but no label file can be written with it
        return Problem(record.origin, "bad_text", why)
    if len(record.text) > max_chars:
        return Problem(record.origin, "too_long",
                       f"{len(record.text)} characters (limit {max_chars}): a passage, not a sentence?")
    if record.raw_label is None or (isinstance(record.raw_label, str) and not record.raw_label.strip()):
        return Problem(record.origin, "missing_label", "no label")
    if record.label is None:
        return Problem(record.origin, "unknown_label",
                       f"unknown label {record.raw_label!r}; use one of {sorted(VALID_LABELS)} "
                       f"or an alias from {ALIASES_PATH.name} (or --alias NAME=LABEL)")
    return None


@dataclass
class _BaseSentence:
    doc_id: str
    sentence: int
    label: str | None
    split: str | None


def _base_index(docs: list[LabelledDoc], splits: dict[str, list[str]]) -> dict[str, list[_BaseSentence]]:
    split_of = {doc_id: split for split, ids in splits.items() for doc_id in ids}
    index: dict[str, list[_BaseSentence]] = {}
    for doc in docs:
        for i, sent in enumerate(doc.sentences):
            key = sentence_key(doc.text[sent["start"]:sent["end"]])
            if key:
                index.setdefault(key, []).append(_BaseSentence(doc.id, i, sent.get("label"), split_of.get(doc.id)))
    return index


def _short(text: str, width: int = 60) -> str:
    text = _SPACE.sub(" ", text.strip())
    return text if len(text) <= width else text[: width - 1] + "…"


def import_labels(
    paths: list[Path],
    *,
    fmt: str | None = None,
    aliases: AliasTable | None = None,
    max_chars: int = MAX_CHARS,
    base_dir: Path | None = None,
    on_conflict: str = "fail",
) -> ImportReport:
    """Read, map and check label files against each other and the base corpus in ``base_dir``.

    Files are taken in the given order; "new" in ``keep-new`` means later (a later file or line),
    and any imported label is newer than the base corpus. With ``fail`` the report's conflicts are
    fatal (``report.failed``); nothing here raises for them.
    """
    if on_conflict not in ON_CONFLICT:
        raise UsageError(f"--on-conflict must be one of {', '.join(ON_CONFLICT)}, not {on_conflict!r}")
    if not paths:
        raise UsageError("no label files given")
    aliases = aliases or AliasTable.load()
    base = _base_index(read_docs(base_dir / "docs.jsonl"), read_splits(base_dir)) if base_dir else {}

    files: list[FileSummary] = []
    problems: list[Problem] = []
    kept: dict[str, LabelRecord] = {}  # sentence key -> the record that currently holds it
    dropped: set[int] = set()  # id() of records superseded by a later one
    order: list[LabelRecord] = []
    relabels: dict[str, tuple[str, LabelRecord]] = {}  # sentence key -> (new label, record)
    fail = on_conflict == "fail"

    for path in paths:
        fmt_used, entries = read_label_file(path, fmt=fmt, aliases=aliases)
        summary = FileSummary(str(path), file_sha256(path), fmt_used)
        files.append(summary)
        for entry in entries:
            summary.records += 1
            if isinstance(entry, Problem):
                problems.append(entry)
                continue
            record = entry
            problem = _label_problem(record, aliases, max_chars)
            if problem:
                problems.append(problem)
                continue
            key = record.key
            earlier = kept.get(key)
            if earlier is not None:
                if earlier.label == record.label:
                    problems.append(Problem(record.origin, "duplicate",
                                            f"same sentence and label as {earlier.origin}; kept that one"))
                    continue
                if on_conflict == "keep-old":
                    note = f"kept {earlier.label} from {earlier.origin}"
                elif on_conflict == "keep-new":
                    note = f"kept {record.label} from here, dropped {earlier.origin}"
                else:
                    note = "not resolved"
                problems.append(Problem(
                    record.origin, "conflict",
                    f"{_short(record.text)!r} is {record.label} here but {earlier.label} at {earlier.origin}; {note}",
                    fatal=fail,
                ))
                if on_conflict != "keep-new":
                    continue
                dropped.add(id(earlier))
                relabels.pop(key, None)
            in_base = base.get(key, [])
            base_labels = {b.label for b in in_base}
            if in_base and base_labels == {record.label}:
                where = ", ".join(f"{b.doc_id} sentence {b.sentence} ({b.split})" for b in in_base[:3])
                problems.append(Problem(record.origin, "in_corpus", f"already in the corpus with this label: {where}"))
                kept[key] = record
                continue
            if in_base:
                other = next(b for b in in_base if b.label != record.label)
                where = f"{other.doc_id} sentence {other.sentence}, {other.split} split"
                if on_conflict == "keep-old":
                    note = "kept the corpus label"
                elif on_conflict == "keep-new":
                    note = "relabelled the corpus sentence in the new snapshot"
                else:
                    note = "not resolved"
                problems.append(Problem(
                    record.origin, "conflict",
                    f"{_short(record.text)!r} is {record.label} here but {other.label} in the corpus ({where}); {note}",
                    fatal=fail,
                ))
                if on_conflict == "keep-new":
                    # It lives on as a relabel of the corpus sentence, not as a new document.
                    relabels[key] = (record.label, record)
                    kept[key] = record
                continue
            kept[key] = record
            order.append(record)

    accepted = [r for r in order if id(r) not in dropped]
    for record in accepted:
        next(f for f in files if f.path == record.origin.path).accepted += 1
    relabel_list = []
    for key, (label, record) in relabels.items():
        for b in base[key]:
            if b.label != label:
                relabel_list.append(Relabel(b.doc_id, b.sentence, b.split, b.label, label, record.origin))
        next(f for f in files if f.path == record.origin.path).accepted += 1
    return ImportReport(files, accepted, problems, relabel_list, on_conflict,
                        relabelling=[record for _, record in relabels.values()])


def label_row(record: LabelRecord) -> dict:
    """``record`` as a line of the claimlens sentence format (what ``labels import -o`` writes)."""
    row = {"text": record.text, "label": record.label}
    if record.doc_id:
        row["doc_id"] = record.doc_id
    if record.passage is not None:
        spans = record.passage.spans
        row["context_before"] = [record.passage.text[a:b] for a, b in spans[:record.span_index]]
        row["context_after"] = [record.passage.text[a:b] for a, b in spans[record.span_index + 1:]]
    else:
        if record.context_before:
            row["context_before"] = record.context_before
        if record.context_after:
            row["context_after"] = record.context_after
    row.update({k: v for k, v in record.extra.items() if k in ("why", "labelled_by")})
    row["origin"] = f"{printable_path(record.origin.path)}:{record.origin.line}"
    return row


def write_labels(records: list[LabelRecord], stream) -> int:
    """Accepted records in the claimlens sentence format."""
    for record in records:
        stream.write(json.dumps(label_row(record), ensure_ascii=False) + "\n")
    return len(records)


__all__ = [
    "FORMATS", "ON_CONFLICT", "NONE_LABEL", "AliasTable", "ConflictError", "ImportReport", "LabelRecord",
    "Origin", "Passage", "Problem", "Relabel", "detect_format", "import_labels", "parse_alias_options",
    "read_label_file", "sentence_key", "write_labels",
]
