"""Measuring a classifier against gold labels."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from nlp import LABELS
from nlp.baseline import CueRuleClassifier, MajorityClassifier
from nlp.calibration import calibration_metrics
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
    """Classification metrics of ``estimator`` on ``X``, plus calibration of its probabilities."""
    if not y:
        raise DataError("no labelled claim sentences to evaluate on")
    probs = label_probs(estimator, X)
    predicted = [LABELS[i] for i in probs.argmax(axis=1)]
    metrics = classification_metrics(y, predicted)
    metrics["calibration"] = calibration_metrics(probs, np.array([LABELS.index(label) for label in y]))
    return metrics


def label_probs(estimator, X: list[dict]) -> np.ndarray:
    """Probabilities with columns in the fixed LABELS order, whatever the estimator's class order."""
    classes = list(estimator.classes_)
    return estimator.predict_proba(X)[:, [classes.index(label) for label in LABELS]]


def worst_errors(estimator, X: list[dict], y: list[str], gold: list[dict], n: int) -> list[dict]:
    """The ``n`` most confident mistakes, with the cues and the features that pushed them."""
    probs = label_probs(estimator, X)
    mistakes = [i for i, label in enumerate(y) if LABELS[int(probs[i].argmax())] != label]
    mistakes.sort(key=lambda i: -probs[i].max())
    rows = []
    for i in mistakes[:n]:
        predicted = LABELS[int(probs[i].argmax())]
        rows.append({
            "doc_id": gold[i]["doc_id"],
            "sentence": gold[i].get("i"),
            "text": X[i]["text"],
            "gold": y[i],
            "predicted": predicted,
            "probs": {label: round(float(p), 4) for label, p in zip(LABELS, probs[i])},
            "cues": [f"{c['text']}:{c['type']}" for c in X[i]["cues"]],
            "pushed_by": top_features(estimator, X[i], predicted, y[i]),
        })
    return rows


def top_features(estimator, item: dict, predicted: str, gold: str, k: int = 5) -> list[dict]:
    """Features whose weights most favour ``predicted`` over ``gold`` for this sentence (linear model)."""
    features = estimator.named_steps["features"].transform([item])[0]
    vectorizer = estimator.named_steps["vectorizer"]
    classifier = estimator.named_steps["classifier"]
    weights = classifier.label_weights()
    diff = weights[predicted] - weights[gold]
    scored = []
    for name, value in features.items():
        column = vectorizer.vocabulary_.get(name)
        if column is not None:
            scored.append((float(diff[column] * value), name))
    scored.sort(reverse=True)
    return [{"feature": name, "weight": round(weight, 3)} for weight, name in scored[:k] if weight > 0]


def evaluate(model=None, *, data: Path | None = None, split: str = "test", errors: int = 0) -> dict:
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
    X, y, _, gold = examples(docs)
    # The majority baseline predicts the most frequent label of the model's own training news
    # (older models record only the counts of everything they were fitted on).
    training_data = meta.get("training_data", {})
    label_counts = training_data.get("news_label_counts") or training_data.get("label_counts") or {"reported_fact": 1}
    majority = max(sorted(label_counts), key=label_counts.get)
    result = {
        "model": f"{meta.get('name')}-{meta.get('version')}",
        "model_dir": str(model_dir),
        "data": source,
        "documents": len(docs),
        "metrics": evaluate_estimator(estimator, X, y),
        "baselines": {
            "majority": evaluate_estimator(MajorityClassifier().fit(X, [majority]), X, y),
            "cue_rules": evaluate_estimator(CueRuleClassifier(), X, y),
        },
    }
    if errors:
        result["errors"] = worst_errors(estimator, X, y, gold, errors)
    return result
