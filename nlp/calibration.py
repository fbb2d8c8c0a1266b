"""Calibrated probabilities and the measures that check them.

``HedgeFirstClassifier`` (the claim classifier) rescales its scores by a temperature fitted on
*out-of-fold* scores (document-grouped folds when groups are given), so the probabilities it
reports are honest about held-out data: "0.9" should be right about nine times in ten.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, StratifiedKFold


def fit_scaling(scores: np.ndarray, targets: np.ndarray, *, offsets: bool = True) -> tuple[float, np.ndarray]:
    """Temperature (and per-class offsets, first class fixed at 0) minimising held-out log loss."""
    n_classes = scores.shape[1]

    def loss(params):
        temperature = np.exp(params[0])
        bias = np.concatenate([[0.0], params[1:]]) if offsets else np.zeros(n_classes)
        logp = log_softmax(scores / temperature + bias, axis=1)
        return -logp[np.arange(len(targets)), targets].mean()

    start = np.zeros(n_classes if offsets else 1)
    result = minimize(loss, start, method="L-BFGS-B")
    temperature = float(np.exp(result.x[0]))
    bias = np.concatenate([[0.0], result.x[1:]]) if offsets else np.zeros(n_classes)
    return temperature, bias


def reliability(confidence: np.ndarray, correct: np.ndarray, n_bins: int = 10) -> list[dict]:
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # Bin i holds confidences in (edges[i], edges[i+1]]; the first bin includes 0.
    bins = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, n_bins - 1)
    rows = []
    for i in range(n_bins):
        mask = bins == i
        count = int(mask.sum())
        rows.append({
            "lower": round(float(edges[i]), 2),
            "upper": round(float(edges[i + 1]), 2),
            "count": count,
            "confidence": round(float(confidence[mask].mean()), 4) if count else None,
            "accuracy": round(float(correct[mask].mean()), 4) if count else None,
        })
    return rows


def calibration_metrics(probs: np.ndarray, targets: np.ndarray, n_bins: int = 10) -> dict:
    """ECE over ``n_bins`` equal-width confidence bins, multi-class Brier score, reliability table."""
    confidence = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == targets).astype(float)
    table = reliability(confidence, correct, n_bins)
    n = len(targets)
    ece = sum(row["count"] / n * abs(row["accuracy"] - row["confidence"]) for row in table if row["count"])
    onehot = np.eye(probs.shape[1])[targets]
    brier = float(((probs - onehot) ** 2).sum(axis=1).mean())
    return {"ece": round(float(ece), 4), "brier": round(brier, 4), "bins": n_bins, "reliability": table}


def calibration_folds(y, groups, n_splits: int):
    """The document-grouped folds whose held-out scores fit the temperature (train/test row indices)."""
    return GroupKFold(n_splits=n_splits).split(np.zeros(len(y)), y, groups)


class HedgeFirstClassifier(ClassifierMixin, BaseEstimator):
    """Two logistic regressions in the order of the label standard's decision procedure.

    First: is the main claim hedged (speculation or not)? Speculation wins over attribution
    in the standard, and a single three-way model let attribution cues outvote a hedge.
    Then, for claims that are not hedged: attributed or the outlet's own voice?
    ``P(spec) = h``, ``P(attr) = (1 - h) a``, ``P(fact) = (1 - h)(1 - a)``, then rescaled by a
    temperature and per-class offsets fitted on out-of-fold (document-grouped) scores.
    """

    def __init__(self, C_hedge: float = 0.3, C_source: float = 1.0, speculation_weight: float = 3.0,
                 offsets: bool = False, n_splits: int = 5, random_state: int = 13):
        self.C_hedge = C_hedge
        self.offsets = offsets
        self.C_source = C_source
        self.speculation_weight = speculation_weight
        self.n_splits = n_splits
        self.random_state = random_state

    def _fit_stages(self, X, y):
        hedged = y == "speculation"
        hedge = LogisticRegression(C=self.C_hedge, class_weight={False: 1.0, True: self.speculation_weight},
                                   max_iter=5000, random_state=self.random_state).fit(X, hedged)
        rest = ~hedged
        source = LogisticRegression(C=self.C_source, class_weight="balanced", max_iter=5000,
                                    random_state=self.random_state).fit(X[rest], y[rest] == "attribution")
        return hedge, source

    def _log_probs(self, stages, X) -> np.ndarray:
        hedge, source = stages
        h = np.clip(hedge.predict_proba(X)[:, 1], 1e-9, 1 - 1e-9)
        a = np.clip(source.predict_proba(X)[:, 1], 1e-9, 1 - 1e-9)
        by_label = {"speculation": h, "attribution": (1 - h) * a, "reported_fact": (1 - h) * (1 - a)}
        return np.log(np.stack([by_label[label] for label in self.classes_], axis=1))

    def fit(self, X, y, groups=None, calibrate=None):
        """``calibrate``: which rows' out-of-fold scores fit the temperature (default: all). Rows
        written for training, whose label mix is not the news', still train every stage."""
        y = np.asarray(y)
        self.classes_ = np.array(sorted(set(y)))
        if groups is not None:
            splits = calibration_folds(y, groups, self.n_splits)
        else:
            splits = StratifiedKFold(n_splits=self.n_splits, shuffle=True,
                                     random_state=self.random_state).split(X, y)
        scores = np.zeros((len(y), len(self.classes_)))
        for train_idx, test_idx in splits:
            scores[test_idx] = self._log_probs(self._fit_stages(X[train_idx], y[train_idx]), X[test_idx])
        self.hedge_, self.source_ = self._fit_stages(X, y)
        rows = np.ones(len(y), dtype=bool) if calibrate is None else np.asarray(calibrate, dtype=bool)
        if rows.shape != (len(y),) or not rows.any():
            raise ValueError("calibrate must mark at least one of the training rows")
        self.temperature_, self.offsets_ = fit_scaling(scores[rows], np.searchsorted(self.classes_, y[rows]),
                                                       offsets=self.offsets)
        return self

    def decision_function(self, X):
        return self._log_probs((self.hedge_, self.source_), X) / self.temperature_ + self.offsets_

    def predict_proba(self, X):
        return softmax(self.decision_function(X), axis=1)

    def predict(self, X):
        return self.classes_[np.argmax(self.decision_function(X), axis=1)]

    def label_weights(self) -> dict[str, np.ndarray]:
        """Per label, how each feature pushes towards it (reported_fact is the reference at 0)."""
        hedge = self.hedge_.coef_[0]
        return {"speculation": hedge, "attribution": self.source_.coef_[0] - hedge,
                "reported_fact": np.zeros_like(hedge)}
