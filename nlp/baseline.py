"""The cue-lexicon baseline: the label standard's decision procedure applied to cue words alone.

Speculation if any hedge cue appears, else attribution if any attribution cue appears or
the sentence is inside a quotation, else reported_fact. Every model must beat it.
"""
from __future__ import annotations

import numpy as np

from nlp import LABELS
from nlp.cues import ATTRIBUTION_CUES, SPECULATION_CUES


def cue_rule_label(item: dict) -> str:
    types = {cue["type"] for cue in item["cues"]}
    if types & SPECULATION_CUES:
        return "speculation"
    if types & ATTRIBUTION_CUES or item["in_quote"]:
        return "attribution"
    return "reported_fact"


class CueRuleClassifier:
    """Same interface as a fitted scikit-learn classifier, so evaluation treats both alike."""

    classes_ = np.array(LABELS)

    def fit(self, X, y=None):
        return self

    def predict(self, X):
        return np.array([cue_rule_label(item) for item in X])

    def predict_proba(self, X):
        return np.array([[1.0 if label == cue_rule_label(item) else 0.0 for label in LABELS] for item in X])


class MajorityClassifier:
    def fit(self, X, y):
        values, counts = np.unique(np.asarray(y), return_counts=True)
        self.majority_ = values[np.argmax(counts)]
        self.classes_ = np.array(LABELS)
        return self

    def predict(self, X):
        return np.array([self.majority_] * len(X))

    def predict_proba(self, X):
        return np.array([[1.0 if label == self.majority_ else 0.0 for label in LABELS] for _ in X])
