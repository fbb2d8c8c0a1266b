"""Training on new labels: merge them into a hashed data snapshot, train, compare with the default.

The base corpus is never modified. ``build_snapshot`` writes a new directory
``<snapshots>/<sha256[:16]>/`` with ``docs.jsonl`` + ``splits.json`` + the base's ``synthetic.jsonl``
(what ``training.train`` reads) and ``provenance.json``. New sentences go to the train split only, so the dev and test
documents stay those of the base corpus and the old and new models are measured on the same
held-out documents.

An imported sentence without its article becomes a small document: the context sentences it
came with (unlabelled), then the sentence. ``annotate_gold`` needs every sentence boundary of
a document, so context sentences are given as unlabelled spans; they give the quotation tracker
the text around the sentence and are not trained on. A sentence with no context at all is a
one-sentence document: it is its document's first sentence, as a headline is.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from nlp.corpus import (
    SYNTHETIC_FILE, data_files, data_hash, default_data_dir, read_docs, read_splits, recorded_path,
)
from nlp.errors import DataError, ModelError
from nlp.label_import import AliasTable, ConflictError, ImportReport, LabelRecord, Passage, import_labels
from nlp.model_store import META_FILE, models_dir

ENV_SNAPSHOTS_DIR = "CLAIMLENS_SNAPSHOTS_DIR"


def snapshots_dir() -> Path:
    """$CLAIMLENS_SNAPSHOTS_DIR, else ``training/snapshots`` next to the corpus."""
    if os.environ.get(ENV_SNAPSHOTS_DIR):
        return Path(os.environ[ENV_SNAPSHOTS_DIR])
    return default_data_dir().parent / "snapshots"


class NoNewLabels(DataError):
    """Every imported record was a duplicate or had a problem; ``report`` lists each with file and line."""

    def __init__(self, report: ImportReport):
        super().__init__("no new labels to train on: every record was a duplicate or had a problem (listed above)")
        self.report = report


@dataclass
class Snapshot:
    dir: Path
    sha256: str
    base_dir: Path
    base_sha256: str
    documents_added: int
    sentences_added: int
    relabelled: int

    def as_dict(self) -> dict:
        return {
            "dir": recorded_path(self.dir),
            "sha256": self.sha256,
            "base": {"dir": recorded_path(self.base_dir), "sha256": self.base_sha256},
            "documents_added": self.documents_added,
            "sentences_added": self.sentences_added,
            "relabelled": self.relabelled,
        }


def _passage_of(record: LabelRecord) -> tuple[Passage, int]:
    if record.passage is not None:
        return record.passage, record.span_index
    parts = [*(c.strip() for c in record.context_before), record.text.strip(), *(c.strip() for c in record.context_after)]
    spans, text, cursor = [], "", 0
    for part in parts:
        if text:
            text += " "
            cursor += 1
        spans.append((cursor, cursor + len(part)))
        text += part
        cursor += len(part)
    key = f"{record.origin}"
    return Passage(key, text, tuple(spans), record.doc_id), len(record.context_before)


def _new_documents(report: ImportReport) -> list[dict]:
    sha_of = {f.path: f.sha256 for f in report.files}
    grouped: dict[str, tuple[Passage, dict[int, LabelRecord]]] = {}
    for record in report.records:
        passage, index = _passage_of(record)
        grouped.setdefault(passage.key, (passage, {}))[1][index] = record
    docs = []
    for passage, labelled in grouped.values():
        first = next(iter(labelled.values()))
        file_sha = sha_of[first.origin.path]
        # Ids say where the document came from and cannot collide with corpus ids.
        anchor = passage.doc_id if first.fmt == "claimlens-docs" else str(first.origin.line)
        sentences = []
        for i, (start, end) in enumerate(passage.spans):
            sentence = {"i": i, "start": start, "end": end, "label": None}
            record = labelled.get(i)
            if record is not None:
                sentence.update({
                    "label": record.label,
                    "labelled_by": record.extra.get("labelled_by", f"import:{record.fmt}"),
                    "origin": f"{Path(record.origin.path).name}:{record.origin.line}",
                })
                if "why" in record.extra:
                    sentence["why"] = record.extra["why"]
            sentences.append(sentence)
        docs.append({
            "id": f"added:{file_sha[:12]}:{anchor}",
            "source": "added",
            "text": passage.text,
            "sentences": sentences,
            "added_from": {"file": Path(first.origin.path).name, "sha256": file_sha, "format": first.fmt,
                           "doc_id": passage.doc_id or first.doc_id},
        })
    return docs


def build_snapshot(report: ImportReport, *, base_dir: Path | None = None, root: Path | None = None) -> Snapshot:
    """Write base corpus + accepted records (+ relabels) as a new content-addressed snapshot."""
    if report.failed:
        raise ConflictError(report)
    base_dir = base_dir or default_data_dir()
    root = root or snapshots_dir()
    base_docs = read_docs(base_dir / "docs.jsonl")
    splits = read_splits(base_dir)
    relabel = {(r.doc_id, r.sentence): r for r in report.relabels}
    rows = []
    for doc in base_docs:
        sentences = []
        for i, sentence in enumerate(doc.sentences):
            change = relabel.get((doc.id, i))
            if change is not None:
                sentence = {**sentence, "label": change.new, "original_label": sentence.get("label"),
                            "changed_by": f"import:{Path(change.origin.path).name}:{change.origin.line}"}
            sentences.append(sentence)
        rows.append({"id": doc.id, "text": doc.text, "sentences": sentences, **doc.meta})
    added = _new_documents(report)
    if not added and not report.relabels:
        raise NoNewLabels(report)
    splits = {name: list(ids) for name, ids in splits.items()}
    splits["train"] = list(splits.get("train", [])) + [doc["id"] for doc in added]

    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".snapshot-", dir=root))
    try:
        with open(tmp / "docs.jsonl", "w", encoding="utf-8") as fh:
            for row in rows + added:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        (tmp / "splits.json").write_text(json.dumps(splits, indent=1) + "\n", encoding="utf-8")
        if (base_dir / SYNTHETIC_FILE).is_file():
            shutil.copyfile(base_dir / SYNTHETIC_FILE, tmp / SYNTHETIC_FILE)
        digest = data_hash(data_files(tmp))
        snapshot = Snapshot(
            dir=root / digest[:16], sha256=digest, base_dir=base_dir,
            base_sha256=data_hash(data_files(base_dir)),
            documents_added=len(added),
            sentences_added=sum(1 for d in added for s in d["sentences"] if s["label"] is not None),
            relabelled=len(report.relabels),
        )
        provenance = {
            "snapshot": snapshot.as_dict(),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "import": report.summary(),
            "relabelled": [
                {"doc_id": r.doc_id, "sentence": r.sentence, "split": r.split, "old": r.old, "new": r.new,
                 "origin": str(r.origin)} for r in report.relabels
            ],
        }
        (tmp / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n", encoding="utf-8")
        if snapshot.dir.exists():
            shutil.rmtree(tmp)  # same content already there: snapshots are immutable
        else:
            tmp.rename(snapshot.dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    snapshot.dir = snapshot.dir.resolve()
    return snapshot


@dataclass
class RetrainResult:
    report: ImportReport
    snapshot: Snapshot
    meta: dict
    model_dir: Path
    comparison: object | None = None  # registry.Comparison against the default model, if there is one
    promoted: bool = False
    notes: list[str] = field(default_factory=list)


def _record_provenance(model_dir: Path, meta: dict, report: ImportReport, snapshot: Snapshot) -> dict:
    """Add where the data came from to meta.json (the model file and its hash are untouched)."""
    training = dict(meta.get("training_data", {}))
    training["snapshot"] = snapshot.as_dict()
    training["added"] = [
        {**f.as_dict(), "path": recorded_path(Path(f.path))} for f in report.files
    ]
    training["import_problems"] = report.counts()
    meta = {**meta, "training_data": training}
    (model_dir / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return meta


def retrain(
    add: list[Path],
    *,
    data_dir: Path | None = None,
    out_root: Path | None = None,
    snapshots_root: Path | None = None,
    name: str | None = None,
    seed: int | None = None,
    fmt: str | None = None,
    aliases: AliasTable | None = None,
    on_conflict: str = "fail",
    promote: bool = False,
    force: bool = False,
    synthetic: bool = True,
) -> RetrainResult:
    """Import ``add``, snapshot base + new labels, train a new model, compare it with the default.

    Raises ``ConflictError`` (with the full report) before anything is written when conflicts
    are unresolved. ``promote`` makes the new model the default only if it is not worse than
    the current default on dev macro-F1, unless ``force``.
    """
    from nlp import registry
    from nlp.training import DEFAULT_NAME, SEED, check_destination, check_writable_directory, train

    data_dir = data_dir or default_data_dir()
    out_root = out_root or models_dir()
    snapshots_root = snapshots_root or snapshots_dir()
    name = DEFAULT_NAME if name is None else name
    check_destination(out_root, name)
    check_writable_directory(snapshots_root, "--snapshots names the directory data snapshots go in")
    report = import_labels(add, fmt=fmt, aliases=aliases, base_dir=data_dir, on_conflict=on_conflict)
    if report.failed:
        raise ConflictError(report)
    snapshot = build_snapshot(report, base_dir=data_dir, root=snapshots_root)
    meta, model_dir = train(data_dir=snapshot.dir, out_root=out_root, name=name,
                            seed=SEED if seed is None else seed, promote=False, synthetic=synthetic)
    meta = _record_provenance(model_dir, meta, report, snapshot)
    result = RetrainResult(report, snapshot, meta, model_dir)
    current = registry.current_default(out_root)
    if current is None or current == model_dir.name:
        # train() makes the first model of an empty registry the default.
        result.promoted = current == model_dir.name
        return result
    try:
        result.comparison = registry.compare(model_dir, out_root / current, data_dir=snapshot.dir)
    except ModelError as exc:
        # A broken or stale default is no reason to lose the new model; say why there is no diff.
        result.notes.append(f"not compared with the default {current}: {exc}")
    if promote:
        promotion = registry.promote(model_dir.name, root=out_root, force=force, comparison=result.comparison)
        result.notes.extend(promotion.notes)
        result.promoted = True
    return result
