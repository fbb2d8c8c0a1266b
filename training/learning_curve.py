"""How the classifier's cross-validated macro-F1 grows with the amount of training data.

Document-grouped 5-fold cross-validation on the train split, as in ``select_model.py``: only the
Wikinews train documents are scored, never dev or test. Two curves:

* real news (default): in each fold only a random share of the training documents is used, and
  no synthetic documents: "would more labelled news of this kind close the gap?";
* ``--synthetic``: every fold's training documents plus a random share of the synthetic
  documents (``training/data/synthetic.jsonl``): "what do the written-for-training articles add?".

Three draws per share below 1::

    python training/learning_curve.py                  # shares 0.4 0.6 0.8 1.0 of the train documents
    python training/learning_curve.py --synthetic      # shares 0 0.25 0.5 1.0 of the synthetic documents
    python training/learning_curve.py --synthetic --batch general   # only the first, general batch
    python training/learning_curve.py 0.5 1.0
"""
from __future__ import annotations

import argparse
import random

import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold

from nlp import LABELS
from nlp.corpus import default_data_dir, training_docs
from nlp.training import HYPERPARAMETERS, examples, fit_estimator


class UnknownBatch(ValueError):
    pass


def _sample(documents: list[str], share: float, rng: random.Random) -> set[str]:
    if share <= 0:
        return set()
    return set(rng.sample(documents, max(1, round(len(documents) * share))))


def curve(shares: list[float], *, synthetic: bool = False, batch: str | None = None, draws: int = 3) -> list[dict]:
    train_docs, synthetic_docs = training_docs(default_data_dir(), synthetic=synthetic)
    if batch:  # training/synthetic/README.md
        synthetic_docs = [doc for doc in synthetic_docs if doc.meta["batch"] == batch]
        if not synthetic_docs:
            raise UnknownBatch(f"no synthetic documents of batch {batch!r}")
    X, y, groups, _ = examples(train_docs)
    extra_X, extra_y, extra_groups, _ = examples(synthetic_docs)
    extra_documents = sorted(set(extra_groups))
    y = np.array(y)
    rows = []
    for share in shares:
        scores = []
        for draw in range(draws if 0 < share < 1 else 1):
            rng = random.Random(draw)
            predicted = np.empty(len(y), dtype=object)
            for train_idx, test_idx in GroupKFold(n_splits=5).split(X, y, groups):
                if synthetic:  # all real training documents, a share of the synthetic ones
                    chosen = list(train_idx)
                    kept = _sample(extra_documents, share, rng)
                    added = [i for i, g in enumerate(extra_groups) if g in kept]
                else:
                    kept = _sample(sorted({groups[i] for i in train_idx}), share, rng)
                    chosen, added = [i for i in train_idx if groups[i] in kept], []
                estimator = fit_estimator([X[i] for i in chosen] + [extra_X[i] for i in added],
                                          list(y[chosen]) + [extra_y[i] for i in added],
                                          [groups[i] for i in chosen] + [extra_groups[i] for i in added],
                                          calibrate=[True] * len(chosen) + [False] * len(added), **HYPERPARAMETERS)
                predicted[test_idx] = estimator.predict([X[i] for i in test_idx])
            scores.append(f1_score(y, list(predicted), labels=list(LABELS), average=None))
        per_label = np.mean(scores, axis=0)
        rows.append({"share": share, "macro_f1": round(float(per_label.mean()), 4),
                     "f1": {label: round(float(v), 4) for label, v in zip(LABELS, per_label)}})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("shares", nargs="*", type=float)
    parser.add_argument("--synthetic", action="store_true",
                        help="all train documents plus a share of the synthetic documents")
    parser.add_argument("--batch", help="with --synthetic: only the synthetic documents of this batch (general, "
                                            "targeted; see training/synthetic/README.md)")
    args = parser.parse_args()
    if args.batch and not args.synthetic:
        parser.error("--batch needs --synthetic")
    shares = args.shares or ([0.0, 0.25, 0.5, 1.0] if args.synthetic else [0.4, 0.6, 0.8, 1.0])
    what = "of the synthetic documents added" if args.synthetic else "of the train documents"
    if args.batch:
        what += f" ({args.batch} batch)"
    try:
        rows = curve(shares, synthetic=args.synthetic, batch=args.batch)
    except UnknownBatch as err:
        parser.error(str(err))
    for row in rows:
        f1 = "  ".join(f"{label} {row['f1'][label]:.3f}" for label in LABELS)
        print(f"{row['share']:.0%} {what}: macro-F1 {row['macro_f1']:.3f}  ({f1})", flush=True)


if __name__ == "__main__":
    main()
