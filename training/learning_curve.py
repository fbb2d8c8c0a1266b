"""How the classifier's cross-validated macro-F1 grows with the amount of training data.

Document-grouped 5-fold cross-validation on the train split, as in ``select_model.py``; in each
fold only a random share of the training documents is used (three draws per share below 1).
It answers "would more labelled news of this kind close the gap?" without touching dev or test:

    python training/learning_curve.py            # shares 0.4 0.6 0.8 1.0
    python training/learning_curve.py 0.5 1.0
"""
from __future__ import annotations

import random
import sys

import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold

from nlp import LABELS
from nlp.corpus import default_data_dir, load_split
from nlp.training import HYPERPARAMETERS, examples, fit_estimator


def curve(shares: list[float], draws: int = 3) -> list[dict]:
    X, y, groups, _ = examples(load_split(default_data_dir(), "train"))
    y = np.array(y)
    rows = []
    for share in shares:
        scores = []
        for draw in range(draws if share < 1 else 1):
            rng = random.Random(draw)
            predicted = np.empty(len(y), dtype=object)
            for train_idx, test_idx in GroupKFold(n_splits=5).split(X, y, groups):
                documents = sorted({groups[i] for i in train_idx})
                kept = set(rng.sample(documents, max(1, round(len(documents) * share))))
                chosen = [i for i in train_idx if groups[i] in kept]
                estimator = fit_estimator([X[i] for i in chosen], list(y[chosen]), [groups[i] for i in chosen],
                                          **HYPERPARAMETERS)
                predicted[test_idx] = estimator.predict([X[i] for i in test_idx])
            scores.append(f1_score(y, list(predicted), labels=list(LABELS), average=None))
        per_label = np.mean(scores, axis=0)
        rows.append({"share": share, "macro_f1": round(float(per_label.mean()), 4),
                     "f1": {label: round(float(v), 4) for label, v in zip(LABELS, per_label)}})
    return rows


def main() -> None:
    shares = [float(a) for a in sys.argv[1:]] or [0.4, 0.6, 0.8, 1.0]
    for row in curve(shares):
        f1 = "  ".join(f"{label} {row['f1'][label]:.3f}" for label in LABELS)
        print(f"{row['share']:.0%} of the train documents: macro-F1 {row['macro_f1']:.3f}  ({f1})", flush=True)


if __name__ == "__main__":
    main()
