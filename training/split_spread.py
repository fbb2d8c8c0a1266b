"""How far a split of a few documents moves the scores, from the train split alone.

The test split has 21 documents. Its macro-F1 and, above all, its speculation F1 (about 50
sentences) depend on which documents it happens to hold. This script shows how much, without
looking at test: it takes the cross-validated predictions on the Wikinews train documents (the
folds and settings of ``select_model.py``, synthetic documents in every fold's training part)
and scores them on many random sets of N train documents::

    python training/split_spread.py            # N = the test split's number of documents
    python training/split_spread.py --docs 15 --draws 5000

Printed per measure: the mean over the draws, the standard deviation, and the 5th and 95th
percentiles. A test figure far below that band is not the luck of a small split. It says either
that the test documents differ from the train ones, or that cross-validation overstates: features,
lexicon entries and targeted training articles were chosen by reading the train documents'
cross-validation errors, so those predictions are not those of a model meeting new documents.
``model_history.py`` points to the second: when the model was first trained, test sat at the CV mean.
"""
from __future__ import annotations

import argparse

import numpy as np
from sklearn.metrics import f1_score

from nlp import LABELS
from nlp.corpus import default_data_dir, read_splits, training_docs
from nlp.training import HYPERPARAMETERS, examples

MEASURES = ("macro_f1",) + tuple(f"f1_{label}" for label in LABELS)


def subset_scores(y_true: list[str], y_pred: list[str], groups: list[str], *, n_docs: int, draws: int,
                  seed: int = 0) -> dict[str, np.ndarray]:
    """Macro-F1 and per-label F1 of ``y_pred`` on ``draws`` random sets of ``n_docs`` documents.

    A label that a draw neither has nor predicts scores 0, as in ``claimlens evaluate``.
    """
    documents = sorted(set(groups))
    check_draws(n_docs, draws, available=len(documents))
    y_true, y_pred, groups = np.asarray(y_true), np.asarray(y_pred), np.asarray(groups)
    rng = np.random.default_rng(seed)
    scores = {measure: np.empty(draws) for measure in MEASURES}
    for draw in range(draws):
        rows = np.isin(groups, rng.choice(documents, n_docs, replace=False))
        per_label = f1_score(y_true[rows], y_pred[rows], labels=list(LABELS), average=None, zero_division=0)
        scores["macro_f1"][draw] = per_label.mean()
        for label, value in zip(LABELS, per_label):
            scores[f"f1_{label}"][draw] = value
    return scores


def check_draws(n_docs: int, draws: int, *, available: int) -> None:
    if not 0 < n_docs <= available:
        raise ValueError(f"--docs must be between 1 and the {available} train documents; got {n_docs}")
    if draws < 1:
        raise ValueError(f"--draws must be at least 1; got {draws}")


def summary(scores: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    return {measure: {"mean": round(float(values.mean()), 4), "sd": round(float(values.std()), 4),
                      "p5": round(float(np.percentile(values, 5)), 4),
                      "p95": round(float(np.percentile(values, 95)), 4)}
            for measure, values in scores.items()}


def main() -> None:
    from select_model import cv_probs  # a script beside this one

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, help="documents per draw (default: as many as the test split has)")
    parser.add_argument("--draws", type=int, default=2000)
    args = parser.parse_args()
    data_dir = default_data_dir()
    n_docs = args.docs if args.docs is not None else len(read_splits(data_dir)["test"])
    train_docs, synthetic_docs = training_docs(data_dir)
    X, y, groups, _ = examples(train_docs)
    try:  # before the cross-validation, which takes a minute or two
        check_draws(n_docs, args.draws, available=len(set(groups)))
    except ValueError as err:
        parser.error(str(err))
    probs = cv_probs(X, y, groups, HYPERPARAMETERS, extra=examples(synthetic_docs)[:3])
    predicted = [LABELS[i] for i in probs.argmax(axis=1)]
    scores = subset_scores(y, predicted, groups, n_docs=n_docs, draws=args.draws)
    print(f"cross-validated predictions on the {len(set(groups))} train documents, "
          f"scored on {args.draws} random sets of {n_docs} of them:")
    for measure, row in summary(scores).items():
        print(f"  {measure:22s} mean {row['mean']:.3f}  sd {row['sd']:.3f}  5th-95th percentile "
              f"{row['p5']:.3f}-{row['p95']:.3f}")


if __name__ == "__main__":
    main()
