"""Labelled documents in the training format (``training/data/docs.jsonl``).

One document per line: ``{"id", "text", "sentences": [{"start", "end", "label", ...}], ...}``
with offsets into ``text``. ``splits.json`` fixes which documents are train, dev and test.
``synthetic.jsonl`` (optional, same format) holds articles written for training: a model is
fitted on them with the train split, and they are in no split, so never evaluated on.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import nlp
from nlp import LABELS
from nlp.errors import DataError

NONE_LABEL = "none"
SYNTHETIC_FILE = "synthetic.jsonl"
VALID_LABELS = frozenset(LABELS) | {NONE_LABEL}


def _checkout() -> Path:
    return Path(nlp.__file__).resolve().parent.parent


def default_data_dir() -> Path:
    return _checkout() / "training" / "data"


def recorded_path(path: Path) -> str:
    """How a model's meta.json names a data directory: relative to the checkout when inside it, so the
    name means the same in every clone (and does not carry the author's home directory), else absolute."""
    path = Path(path).resolve()
    try:
        return path.relative_to(_checkout()).as_posix()
    except ValueError:
        return str(path)


def resolve_recorded_path(recorded: str) -> Path:
    """The directory a ``recorded_path`` names, in this checkout."""
    path = Path(recorded)
    return path if path.is_absolute() else _checkout() / path


@dataclass
class LabelledDoc:
    id: str
    text: str
    sentences: list[dict]
    meta: dict = field(default_factory=dict)

    def claim_sentences(self) -> list[dict]:
        """Sentences labelled with one of the three claim labels."""
        return [s for s in self.sentences if s.get("label") in LABELS]


def read_docs(path: Path) -> list[LabelledDoc]:
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    docs = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                doc = LabelledDoc(
                    id=str(row["id"]),
                    text=row["text"],
                    sentences=row["sentences"],
                    meta={k: v for k, v in row.items() if k not in ("id", "text", "sentences")},
                )
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise DataError(f"{path}:{lineno}: not a labelled document ({type(exc).__name__}: {exc})") from None
            for sent in doc.sentences:
                label = sent.get("label")
                if label is not None and label not in VALID_LABELS:
                    raise DataError(f"{path}:{lineno}: unknown label {label!r} in document {doc.id}")
                if not (0 <= sent["start"] <= sent["end"] <= len(doc.text)):
                    raise DataError(f"{path}:{lineno}: sentence offsets out of range in document {doc.id}")
            docs.append(doc)
    return docs


def read_splits(data_dir: Path) -> dict[str, list[str]]:
    path = data_dir / "splits.json"
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    return json.loads(path.read_text(encoding="utf-8"))


def load_split(data_dir: Path, split: str) -> list[LabelledDoc]:
    splits = read_splits(data_dir)
    if split not in splits:
        raise DataError(f"unknown split {split!r}; {data_dir / 'splits.json'} has {sorted(splits)}")
    wanted = set(splits[split])
    return [doc for doc in read_docs(data_dir / "docs.jsonl") if doc.id in wanted]


def load_synthetic(data_dir: Path) -> list[LabelledDoc]:
    """The written-for-training documents of ``data_dir`` (``synthetic.jsonl``), or none."""
    path = data_dir / SYNTHETIC_FILE
    return read_docs(path) if path.is_file() else []


def training_docs(data_dir: Path, *, synthetic: bool = True) -> tuple[list[LabelledDoc], list[LabelledDoc]]:
    """The documents a model is fitted on: the train split and (unless ``synthetic=False``) the synthetic ones."""
    train = load_split(data_dir, "train")
    extra = load_synthetic(data_dir) if synthetic else []
    clash = {doc.id for doc in train} & {doc.id for doc in extra}
    if clash:
        raise DataError(f"{data_dir / SYNTHETIC_FILE}: document ids also in the corpus: {sorted(clash)[:5]}")
    return train, extra


def data_files(data_dir: Path, *, synthetic: bool = True) -> list[Path]:
    """The files a model's training data hash covers."""
    files = [data_dir / "docs.jsonl", data_dir / "splits.json"]
    return files + [path for path in [data_dir / SYNTHETIC_FILE] if synthetic and path.is_file()]


def data_hash(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
