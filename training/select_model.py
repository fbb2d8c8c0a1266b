"""Model selection by document-grouped cross-validation on the train split only.

The folds are over the Wikinews train documents; the synthetic documents (``synthetic.jsonl``,
written for training) are added to every fold's training part and never scored, so the figures
are about real news, as the model is fitted.

Prints macro-F1, per-label F1 and ECE for each setting of the grid and writes the table to
training/model_selection.json. The chosen setting goes in nlp/training.py
(HYPERPARAMETERS); dev is looked at once, for the chosen setting; test never. Settings not
in the grid keep their HYPERPARAMETERS value.
"""
from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold

from nlp import LABELS
from nlp.calibration import calibration_metrics
from nlp.corpus import default_data_dir, training_docs
from nlp.training import examples, fit_estimator

# The single three-way logistic regression (C x word_weight) was selected first:
# model_selection_single_lr.json (best CV macro-F1 0.753). The hedge-first model replaced it.
GRID = {"C_hedge": [0.3, 1.0, 3.0], "speculation_weight": [1.0, 1.5, 2.0], "word_weight": [0.1, 0.2, 0.3]}
OUT = Path(__file__).resolve().parent / "model_selection.json"


def cv_probs(X, y, groups, params, n_splits=5, extra=None) -> np.ndarray:
    """Out-of-fold probabilities on ``X`` (columns in LABELS order); ``extra`` = (X, y, groups) is added
    to every fold's training part."""
    extra_X, extra_y, extra_groups = extra or ([], [], [])
    y_arr, probs = np.array(y), np.zeros((len(y), len(LABELS)))
    for train_idx, test_idx in GroupKFold(n_splits=n_splits).split(X, y, groups):
        estimator = fit_estimator([X[i] for i in train_idx] + list(extra_X), list(y_arr[train_idx]) + list(extra_y),
                                  [groups[i] for i in train_idx] + list(extra_groups),
                                  calibrate=[True] * len(train_idx) + [False] * len(extra_X), **params)
        classes = list(estimator.classes_)
        fold = estimator.predict_proba([X[i] for i in test_idx])
        probs[test_idx] = fold[:, [classes.index(label) for label in LABELS]]
    return probs


def grouped_cv(X, y, groups, params, n_splits=5, extra=None) -> dict:
    """Cross-validated macro-F1, per-label F1 and ECE of ``params`` (see ``cv_probs``)."""
    probs = cv_probs(X, y, groups, params, n_splits=n_splits, extra=extra)
    predicted = [LABELS[i] for i in probs.argmax(axis=1)]
    per_label = f1_score(y, predicted, labels=list(LABELS), average=None)
    calibration = calibration_metrics(probs, np.array([LABELS.index(label) for label in y]))
    return {
        "params": params,
        "macro_f1": round(float(per_label.mean()), 4),
        "f1": {label: round(float(f), 4) for label, f in zip(LABELS, per_label)},
        "ece": calibration["ece"],
    }


def main() -> None:
    train_docs, synthetic_docs = training_docs(default_data_dir())
    X, y, groups, _ = examples(train_docs)
    extra = examples(synthetic_docs)[:3]
    rows = []
    for values in itertools.product(*GRID.values()):
        params = dict(zip(GRID, values))
        row = grouped_cv(X, y, groups, params, extra=extra)
        rows.append(row)
        print(json.dumps(row), flush=True)
        # Written after every setting, so an interrupted run still leaves what it measured.
        best = max(rows, key=lambda r: (r["macro_f1"], -r["ece"]))
        OUT.write_text(json.dumps({"grid": GRID, "folds": "GroupKFold(5) by document, train split",
                                   "synthetic_documents": len(synthetic_docs),
                                   "complete": len(rows) == len(list(itertools.product(*GRID.values()))),
                                   "results": rows, "best": best}, indent=1) + "\n", encoding="utf-8")
    print("best:", json.dumps(best))


if __name__ == "__main__":
    main()
