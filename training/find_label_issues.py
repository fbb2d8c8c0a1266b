"""List likely label errors in the train split for a person to re-read (confident learning).

Cross-validated probabilities (folds grouped by document) are compared with each class's
average self-confidence; a sentence whose given label the model finds unusually unlikely
while another label is confidently likely is a *candidate*. Nothing is changed here: a
reviewer reads each candidate against docs/labels.md and logs real errors in
training/data/CHANGES. Only the train split is searched, so dev and test labels are never
steered by the model.
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np
from sklearn.model_selection import GroupKFold, cross_val_predict

from nlp import LABELS
from nlp.corpus import default_data_dir, load_split
from nlp.training import examples, make_estimator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=150)
    args = parser.parse_args()

    X, y, groups, gold = examples(load_split(default_data_dir(), "train"))
    probs = cross_val_predict(make_estimator(), X, y, groups=groups, cv=GroupKFold(5), method="predict_proba")
    classes = sorted(LABELS)  # predict_proba columns follow the sorted class labels
    given = np.array([classes.index(label) for label in y])
    thresholds = np.array([probs[given == k, k].mean() for k in range(len(classes))])
    candidates = []
    for i, k in enumerate(given):
        other = [j for j in range(len(classes)) if j != k and probs[i, j] >= thresholds[j]]
        if other and probs[i, k] < thresholds[k]:
            j = max(other, key=lambda c: probs[i, c])
            candidates.append((float(probs[i, j] - probs[i, k]), i, classes[j]))
    candidates.sort(reverse=True)
    for margin, i, suggested in candidates[:args.limit]:
        row = {"doc": gold[i]["doc_id"], "i": gold[i]["i"], "label": y[i], "model_suggests": suggested,
               "margin": round(margin, 3), "text": X[i]["text"]}
        sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(candidates)} candidates of {len(y)} train sentences", file=sys.stderr)


if __name__ == "__main__":
    main()
