"""Measuring a classifier against gold labels."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from nlp import LABELS
from nlp.baseline import CueRuleClassifier, MajorityClassifier
from nlp.corpus import default_data_dir, load_split, read_docs
from nlp.errors import DataError
from nlp.model_store import load_model
from nlp.training import examples


def classification_metrics(y_true: list[str], y_pred: list[str]) -> dict:
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=list(LABELS), zero_division=0
    )
    return {
        "sentences": len(y_true),
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "macro_f1": round(float(np.mean(f1)), 4),
        "per_label": {
            label: {
                "precision": round(float(p), 4),
                "recall": round(float(r), 4),
                "f1": round(float(f), 4),
                "support": int(s),
            }
            for label, p, r, f, s in zip(LABELS, precision, recall, f1, support)
        },
        "confusion": {
            "labels": list(LABELS),
            "matrix": confusion_matrix(y_true, y_pred, labels=list(LABELS)).tolist(),
        },
    }


def evaluate_estimator(estimator, X: list[dict], y: list[str]) -> dict:
    if not y:
        raise DataError("no labelled claim sentences to evaluate on")
    return classification_metrics(y, list(estimator.predict(X)))


def evaluate(model=None, *, data: Path | None = None, split: str = "test") -> dict:
    """Metrics of a model and of the baselines on labelled data (default: the test split)."""
    estimator, meta, model_dir = load_model(model)
    if data is None:
        docs = load_split(default_data_dir(), split)
        source = f"{split} split"
    elif data.is_dir():
        docs = load_split(data, split)
        source = f"{data} ({split} split)"
    else:
        docs = read_docs(data)
        source = str(data)
    X, y, _, _ = examples(docs)
    # The majority baseline predicts the most frequent label of the model's own training data.
    label_counts = meta.get("training_data", {}).get("label_counts") or {"reported_fact": 1}
    majority = max(sorted(label_counts), key=label_counts.get)
    return {
        "model": f"{meta['name']}-{meta['version']}",
        "model_dir": str(model_dir),
        "data": source,
        "documents": len(docs),
        "metrics": evaluate_estimator(estimator, X, y),
        "baselines": {
            "majority": evaluate_estimator(MajorityClassifier().fit(X, [majority]), X, y),
            "cue_rules": evaluate_estimator(CueRuleClassifier(), X, y),
        },
    }
