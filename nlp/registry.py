"""The model registry: every trained model in ``models/<name>-<version>/``, and which one is the default.

``list_models`` reads each model's ``meta.json`` (and checks its file hash and library
versions, so a broken model shows as broken); ``compare`` measures two models on the same
held-out documents; ``promote`` makes a model the default, refusing one that is worse than the
current default on dev macro-F1 unless forced. Dev, not test, decides: the test split is never
used for choosing (``training/data/README.md``); both are shown.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from nlp import LABELS
from nlp.corpus import default_data_dir, load_split, resolve_recorded_path
from nlp.errors import ClaimlensError, ModelError, OutputError
from nlp.model_store import DEFAULT_POINTER, META_FILE, load_model, models_dir, read_meta, verify

GATE_SPLIT = "dev"
SPLITS = ("dev", "test")


class PromotionRefused(ClaimlensError):
    """The candidate is worse than the current default; ``comparison`` says by how much."""

    exit_code = 1

    def __init__(self, message: str, comparison: "Comparison"):
        super().__init__(message)
        self.comparison = comparison


@dataclass
class ModelInfo:
    dir_name: str
    dir: Path
    name: str | None
    version: int | None
    created: str | None
    default: bool
    status: str  # "ok", or why the model cannot be loaded
    metrics: dict = field(default_factory=dict)
    training: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "model": self.dir_name,
            "dir": str(self.dir),
            "default": self.default,
            "status": self.status,
            "created": self.created,
            "test": _headline(self.metrics.get("test")),
            "dev": _headline(self.metrics.get("dev")),
            "training_sentences": self.training.get("sentences"),
            "added_files": [a.get("path") for a in self.training.get("added", [])],
            "data_sha256": self.training.get("sha256"),
        }


def _headline(metrics: dict | None) -> dict | None:
    if not metrics:
        return None
    return {"macro_f1": metrics.get("macro_f1"), "accuracy": metrics.get("accuracy"),
            "sentences": metrics.get("sentences")}


def current_default(root: Path | None = None) -> str | None:
    pointer = (root or models_dir()) / DEFAULT_POINTER
    if not pointer.is_file():
        return None
    return pointer.read_text(encoding="utf-8").strip() or None


def set_default(root: Path, dir_name: str) -> None:
    # Write-then-rename: a crash never leaves an empty or half-written pointer.
    pointer = root / DEFAULT_POINTER
    tmp = root / f".{DEFAULT_POINTER}.tmp"
    try:
        tmp.write_text(dir_name + "\n", encoding="utf-8")
        os.replace(tmp, pointer)
    except OSError as exc:  # e.g. DEFAULT is a directory
        tmp.unlink(missing_ok=True)
        raise OutputError(f"{pointer}: cannot make {dir_name} the default ({exc.strerror})") from None


def _version_key(info: ModelInfo) -> tuple:
    return (str(info.name or info.dir_name), info.version if isinstance(info.version, int) else -1, info.dir_name)


def list_models(root: Path | None = None) -> list[ModelInfo]:
    root = root or models_dir()
    if not root.is_dir():
        # A typo in --dir must not read as "no models".
        raise ModelError(f"{root}: not a directory" if root.exists() else f"{root}: no such models directory")
    default = current_default(root)
    infos = []
    try:
        model_dirs = sorted(p for p in root.iterdir() if p.is_dir() and _may_be_model(p))
    except OSError as exc:
        raise ModelError(f"{root}: cannot read ({exc.strerror})") from None
    for model_dir in model_dirs:
        meta: dict = {}
        try:
            meta = read_meta(model_dir)
            verify(model_dir, meta)
            status = "ok"
        except ModelError as exc:
            status = str(exc).removeprefix(f"{model_dir}: ")
        metrics = _recorded_object(meta, "metrics")
        infos.append(ModelInfo(
            dir_name=model_dir.name, dir=model_dir, name=meta.get("name"), version=meta.get("version"),
            created=meta.get("created"), default=model_dir.name == default, status=status,
            metrics={split: value for split, value in metrics.items() if isinstance(value, dict)},
            training=_recorded_object(meta, "training_data"),
        ))
    return sorted(infos, key=_version_key)


def _may_be_model(path: Path) -> bool:
    try:
        return (path / META_FILE).exists()
    except OSError:  # an unreadable folder: listed as broken, saying why, rather than left out
        return True


def _recorded_object(meta: dict, key: str) -> dict:
    # A hand-edited meta.json may hold anything: the listing shows what it can and the status says what is wrong.
    value = meta.get(key)
    return value if isinstance(value, dict) else {}


def _model_dir(name: str | Path, root: Path) -> Path:
    path = Path(name)
    if path.is_dir() and (path / META_FILE).is_file():
        path = path.resolve()
        if path.parent != root.resolve():
            raise ModelError(f"{name}: only a model inside {root} can be the default (train it with --out {root})")
        return path
    if re.fullmatch(r"[\w.\-]+", str(name)) and (root / str(name)).is_dir():
        return root / str(name)
    known = ", ".join(i.dir_name for i in list_models(root)) or "none"
    raise ModelError(f"{name}: no such model in {root} (models: {known})")


@dataclass
class Comparison:
    candidate: str
    baseline: str
    data: str
    metrics: dict  # split -> {"candidate": metrics, "baseline": metrics}

    @property
    def gate_split(self) -> str:
        dev = self.metrics.get(GATE_SPLIT)
        return GATE_SPLIT if dev and dev["candidate"]["sentences"] else "test"

    def delta(self, split: str | None = None) -> float:
        split = split or self.gate_split
        pair = self.metrics[split]
        return round(pair["candidate"]["macro_f1"] - pair["baseline"]["macro_f1"], 4)

    @property
    def worse(self) -> bool:
        return self.delta() < 0

    def per_label(self, split: str) -> list[dict]:
        pair = self.metrics[split]
        rows = []
        for label in LABELS:
            old, new = pair["baseline"]["per_label"][label], pair["candidate"]["per_label"][label]
            rows.append({
                "label": label, "support": new["support"],
                **{f"{k}_old": old[k] for k in ("precision", "recall", "f1")},
                **{f"{k}_new": new[k] for k in ("precision", "recall", "f1")},
                "f1_delta": round(new["f1"] - old["f1"], 4),
            })
        return rows

    def as_dict(self) -> dict:
        return {
            "candidate": self.candidate, "baseline": self.baseline, "data": self.data,
            "gate_split": self.gate_split, "macro_f1_delta": {s: self.delta(s) for s in self.metrics},
            "per_label": {s: self.per_label(s) for s in self.metrics},
            "metrics": self.metrics,
        }


def compare(candidate: str | Path, baseline: str | Path, *, data_dir: Path | None = None,
            splits: tuple[str, ...] = SPLITS) -> Comparison:
    """Both models (verified) on the same documents: each split of ``data_dir`` (default: the corpus)."""
    from nlp.evaluation import evaluate_estimator
    from nlp.pipeline import build
    from nlp.training import examples

    data_dir = data_dir or default_data_dir()
    new, new_meta, _ = load_model(candidate)
    old, old_meta, _ = load_model(baseline)
    pipeline = build(classifier=False)
    def measure(estimator, meta, X, y) -> dict:
        try:
            return evaluate_estimator(estimator, X, y)
        except Exception as exc:  # a pickle that loads but no longer fits the feature code
            raise ModelError(
                f"{meta.get('name')}-{meta.get('version')} cannot be evaluated ({type(exc).__name__}: {exc}); "
                "it was probably trained with older claimlens code — retrain it with `claimlens train`"
            ) from None

    metrics = {}
    for split in splits:
        X, y, _, _ = examples(load_split(data_dir, split), pipeline)
        if not y:
            continue
        metrics[split] = {"candidate": measure(new, new_meta, X, y), "baseline": measure(old, old_meta, X, y)}
    return Comparison(
        candidate=f"{new_meta.get('name')}-{new_meta.get('version')}",
        baseline=f"{old_meta.get('name')}-{old_meta.get('version')}",
        data=str(data_dir),
        metrics=metrics,
    )


@dataclass
class Promotion:
    model: str
    previous: str | None
    comparison: Comparison | None = None
    forced: bool = False
    changed: bool = True
    notes: list[str] = field(default_factory=list)


def _data_for(model_dir: Path) -> Path:
    recorded = _recorded_object(read_meta(model_dir), "training_data").get("dir")
    data_dir = resolve_recorded_path(recorded) if isinstance(recorded, str) and recorded else None
    if data_dir is not None and (data_dir / "splits.json").is_file():
        return data_dir
    return default_data_dir()


def promote(name: str | Path, *, root: Path | None = None, force: bool = False, data_dir: Path | None = None,
            comparison: Comparison | None = None) -> Promotion:
    """Make ``name`` the default model if it verifies and is not worse than the current default."""
    root = root or models_dir()
    model_dir = _model_dir(name, root)
    load_model(model_dir)  # never promote a model that would not load
    previous = current_default(root)
    result = Promotion(model_dir.name, previous, comparison, forced=force)
    if previous == model_dir.name:
        result.changed = False
        return result
    if previous is not None and result.comparison is None:
        if not (root / previous).is_dir():
            result.notes.append(f"the current default {previous} is missing; not compared")
        else:
            try:
                result.comparison = compare(model_dir, root / previous, data_dir=data_dir or _data_for(model_dir))
            except ModelError as exc:
                result.notes.append(f"the current default cannot be loaded ({exc}); not compared")
    cmp = result.comparison
    if cmp is not None and cmp.worse and not force:
        split = cmp.gate_split
        raise PromotionRefused(
            f"{cmp.candidate} is worse than the default {cmp.baseline} on {split} macro-F1 "
            f"({cmp.metrics[split]['candidate']['macro_f1']:.4f} < {cmp.metrics[split]['baseline']['macro_f1']:.4f}); "
            "not promoted (pass --force to promote it anyway)",
            cmp,
        )
    set_default(root, model_dir.name)
    return result

