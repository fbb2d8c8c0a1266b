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


def not_a_file(path: Path) -> str:
    """Why ``path``, which is not a regular file, cannot be read as one (the one-line error message)."""
    return f"{path}: is a directory" if path.is_dir() else f"{path}: no such file"


def read_docs(path: Path) -> list[LabelledDoc]:
    if not path.is_file():
        raise DataError(not_a_file(path))
    docs = []
    try:
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if line.strip():
                    docs.append(_labelled_doc(line, f"{path}:{lineno}"))
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not valid UTF-8 ({exc.reason})") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror})") from None
    return docs


def _labelled_doc(line: str, where: str) -> LabelledDoc:
    try:
        row = json.loads(line)
    except (ValueError, RecursionError) as exc:  # besides bad syntax: an integer too long, nesting too deep
        raise DataError(f"{where}: not JSON ({exc})") from None
    if not isinstance(row, dict):
        raise DataError(f"{where}: not a labelled document (a JSON {type(row).__name__}, not an object)")
    missing = [key for key in ("id", "text", "sentences") if key not in row]
    if missing:
        raise DataError(f"{where}: not a labelled document (no {', '.join(missing)})")
    doc = LabelledDoc(id=str(row["id"]), text=row["text"], sentences=row["sentences"],
                      meta={k: v for k, v in row.items() if k not in ("id", "text", "sentences")})
    if not isinstance(doc.text, str):
        raise DataError(f'{where}: "text" of document {doc.id} is not a string')
    if not isinstance(doc.sentences, list) or not all(isinstance(sent, dict) for sent in doc.sentences):
        raise DataError(f'{where}: "sentences" of document {doc.id} is not a list of objects')
    for sent in doc.sentences:
        label = sent.get("label")
        if label is not None and (not isinstance(label, str) or label not in VALID_LABELS):
            raise DataError(f"{where}: unknown label {label!r} in document {doc.id}")
        start, end = sent.get("start"), sent.get("end")
        if not all(isinstance(offset, int) and not isinstance(offset, bool) for offset in (start, end)):
            raise DataError(f'{where}: a sentence of document {doc.id} has no whole-number "start" and "end"')
        if not (0 <= start <= end <= len(doc.text)):
            raise DataError(f"{where}: sentence offsets out of range in document {doc.id}")
    return doc


def read_splits(data_dir: Path) -> dict[str, list[str]]:
    path = data_dir / "splits.json"
    if not path.is_file():
        raise DataError(not_a_file(path))
    try:
        splits = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror})") from None
    except (ValueError, RecursionError) as exc:  # not JSON or not UTF-8
        raise DataError(f"{path}: not JSON ({exc})") from None
    if not isinstance(splits, dict) or not all(isinstance(ids, list) for ids in splits.values()):
        raise DataError(f'{path}: expected {{"train": [document ids], "dev": [...], "test": [...]}}')
    return splits


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
