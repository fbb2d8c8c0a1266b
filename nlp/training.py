"""Training the claim classifier on labelled documents."""
from __future__ import annotations

import os
import re
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.pipeline import Pipeline

from nlp import LABELS
from nlp.calibration import HedgeFirstClassifier, calibration_folds
from nlp.classifier import sentence_inputs
from nlp.corpus import (
    LabelledDoc, data_files, data_hash, default_data_dir, load_split, recorded_path, training_docs,
)
from nlp.errors import DataError, OutputError, UsageError
from nlp.features import SentenceFeatures
from nlp.model_store import DEFAULT_POINTER, models_dir, save_model
from nlp.pipeline import annotate_gold, build
from nlp.registry import set_default

DEFAULT_NAME = "claimlens-news"
# One directory name: no path separators, and no leading dot or dash ("..", "-rf").
MODEL_NAME = re.compile(r"[A-Za-z0-9][\w.\-]*")
SEED = 13
# Chosen by document-grouped cross-validation on the train split (training/select_model.py).
HYPERPARAMETERS = {"C_hedge": 1.0, "C_source": 1.0, "speculation_weight": 1.0, "word_weight": 0.1}


def make_estimator(*, seed: int = SEED, **params) -> Pipeline:
    """Features → vectorizer → hedge-first logistic regressions with held-out-calibrated probabilities."""
    params = {**HYPERPARAMETERS, **params}
    return Pipeline([
        ("features", SentenceFeatures(word_weight=params["word_weight"])),
        ("vectorizer", DictVectorizer()),
        ("classifier", HedgeFirstClassifier(C_hedge=params["C_hedge"], C_source=params["C_source"],
                                            speculation_weight=params["speculation_weight"],
                                            random_state=seed)),
    ])


def fit_estimator(X: list[dict], y: list[str], groups: list[str], calibrate: list[bool] | None = None,
                  **params) -> Pipeline:
    """Fit with calibration folds grouped by document, so no document is in its own calibration fold.

    ``calibrate`` marks the rows whose held-out scores fit the temperature (default: all): the
    synthetic documents train the model but, with four times the corpus's share of speculation,
    would teach the calibration the wrong label mix.
    """
    estimator = make_estimator(**params)
    check_calibration_folds(y, groups, estimator.named_steps["classifier"].n_splits)
    return estimator.fit(X, y, classifier__groups=groups, classifier__calibrate=calibrate)


def check_calibration_folds(y: list[str], groups: list[str], n_splits: int) -> None:
    """Each calibration fold is scored by stages fitted on the documents outside it: there must be ``n_splits``
    documents, and every label outside each fold. Fewer folds would fit the temperature on models trained on
    a handful of documents, more confident or less than the final one, so a small corpus is refused instead."""
    from nlp.report import counted

    documents = len(set(groups))
    if documents < n_splits:
        raise DataError(f"{counted(documents, 'training document')}: training needs at least {n_splits}, as it "
                        f"calibrates its probabilities on {n_splits} folds of held-out documents")
    labels = np.asarray(y)
    for fold, (outside, _) in enumerate(calibration_folds(labels, groups, n_splits), 1):
        missing = sorted(set(LABELS) - set(labels[outside]))
        if missing:
            raise DataError(f"without the documents of calibration fold {fold} of {n_splits}, the training data has "
                            f"no {' or '.join(missing)} sentences; label more documents that have them")


def check_destination(out_root: Path, name: str) -> None:
    """Refuse a model name or models directory that cannot be written, before any time is spent training."""
    if not MODEL_NAME.fullmatch(name):
        raise UsageError(f"--name {name!r}: a model name is letters, digits, '.', '_' and '-', starting with a "
                         "letter or digit (it names a directory)")
    existing = check_writable_directory(out_root, "--out names the directory model directories go in")
    pointer = out_root / DEFAULT_POINTER
    if pointer.exists() and not pointer.is_file():
        raise UsageError(f"{pointer}: not a file (it names the default model; remove it)")
    dir_name = f"{name}-{next_version(out_root, name)}"
    limit = _name_max(existing)
    if len(dir_name.encode()) > limit:
        raise UsageError(f"--name: {len(name)} characters is too long; the model directory ({name[:20]}…"
                         f"{dir_name[-20:]}) may have at most {limit} bytes here")


def check_writable_directory(root: Path, purpose: str) -> Path:
    """Refuse a directory that is a file or cannot be written (or, if missing, could not be made); return the
    nearest part of ``root`` that exists."""
    existing = next(path for path in (root, *root.parents) if path.exists())
    if not existing.is_dir():
        raise UsageError(f"{existing}: not a directory ({purpose})")
    if not os.access(existing, os.W_OK):
        raise OutputError(f"{existing}: cannot write (permission denied)")
    return existing


def _name_max(directory: Path) -> int:
    try:
        return os.pathconf(directory, "PC_NAME_MAX")
    except (OSError, ValueError):  # a file system that does not say
        return 255


def examples(docs: list[LabelledDoc], pipeline=None) -> tuple[list[dict], list[str], list[str], list[dict]]:
    """Classifier inputs, gold labels, document ids (for grouping) and the gold sentences, in order."""
    pipeline = pipeline or build(classifier=False)
    X, y, groups, gold = [], [], [], []
    for labelled in docs:
        spans = [(s["start"], s["end"]) for s in labelled.sentences]
        doc = annotate_gold(pipeline, labelled.text, spans)
        sents, inputs = sentence_inputs(doc)
        by_start = {sent.start_char: item for sent, item in zip(sents, inputs)}
        for sentence in labelled.sentences:
            if sentence.get("label") not in LABELS:
                continue
            item = by_start.get(_first_non_space(labelled.text, sentence["start"]))
            if item is None:
                item = _nearest(by_start, sentence["start"])
            X.append(item)
            y.append(sentence["label"])
            groups.append(labelled.id)
            gold.append({"doc_id": labelled.id, **sentence})
    return X, y, groups, gold


def _first_non_space(text: str, start: int) -> int:
    while start < len(text) and text[start].isspace():
        start += 1
    return start


def _nearest(by_start: dict, start: int) -> dict:
    key = min(by_start, key=lambda k: abs(k - start))
    return by_start[key]


def low_confidence_threshold(calibration: dict, *, min_accuracy: float = 0.7) -> float:
    """Confidence below which the model was right less than ``min_accuracy`` of the time on dev."""
    threshold = 0.5
    for row in calibration["reliability"]:
        if row["count"] and row["accuracy"] < min_accuracy:
            threshold = max(threshold, row["upper"])
    return round(threshold, 2)


def next_version(root: Path, name: str) -> int:
    pattern = re.compile(rf"^{re.escape(name)}-(\d+)$")
    taken = [int(m.group(1)) for p in root.glob(f"{name}-*") if (m := pattern.match(p.name))]
    return max(taken, default=0) + 1


def train(
    *,
    data_dir: Path | None = None,
    out_root: Path | None = None,
    name: str = DEFAULT_NAME,
    seed: int = SEED,
    promote: bool = False,
    synthetic: bool = True,
) -> tuple[dict, Path]:
    """Fit on the train split (plus the synthetic documents, unless ``synthetic=False``), evaluate on
    dev and test, save a new versioned model."""
    from nlp.evaluation import evaluate_estimator  # evaluation imports training's helpers

    data_dir = data_dir or default_data_dir()
    out_root = out_root or models_dir()
    check_destination(out_root, name)
    pipeline = build(classifier=False)
    train_docs, synthetic_docs = training_docs(data_dir, synthetic=synthetic)
    X, y, groups, _ = examples(train_docs + synthetic_docs, pipeline)
    synthetic_ids = {doc.id for doc in synthetic_docs}
    calibrate = [group not in synthetic_ids for group in groups]
    if len(set(y)) < len(LABELS):
        raise DataError(f"the train split must contain all of {list(LABELS)}; it has {sorted(set(y))}")
    estimator = fit_estimator(X, y, groups, calibrate=calibrate, seed=seed)

    metrics = {}
    for split in ("dev", "test"):
        docs = load_split(data_dir, split)
        metrics[split] = evaluate_estimator(estimator, *examples(docs, pipeline)[:2])
    calibration = {"low_confidence_threshold": low_confidence_threshold(metrics["dev"]["calibration"])}

    version = next_version(out_root, name)
    out_dir = out_root / f"{name}-{version}"
    meta = {
        "name": name,
        "version": version,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "labels": list(LABELS),
        "seed": seed,
        "hyperparameters": HYPERPARAMETERS,
        "calibration": calibration,
        "training_data": {
            "dir": recorded_path(data_dir),
            "sha256": data_hash(data_files(data_dir, synthetic=synthetic)),
            "documents": len(train_docs),
            "synthetic_documents": len(synthetic_docs),
            "sentences": len(y),
            "label_counts": {label: y.count(label) for label in LABELS},
            # The news documents alone (the synthetic ones have four times their share of speculation).
            "news_label_counts": {label: sum(1 for value, keep in zip(y, calibrate) if keep and value == label)
                                  for label in LABELS},
        },
        "metrics": metrics,
    }
    meta = save_model(estimator, meta, out_dir)
    if promote or not (out_root / DEFAULT_POINTER).is_file():
        set_default(out_root, out_dir.name)
    return meta, out_dir
