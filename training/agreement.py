"""Inter-annotator agreement on the sentence labels, and the adjudicated labels it led to.

The corpus labels (``training/data/docs.jsonl``) were annotated once and then reviewed. A second
annotator labelled every sentence again, blind (no labels, no model), from the standard alone;
each disagreement was settled by an adjudicator who saw both labels in random order and the
whole document, and every changed label is logged in ``training/data/CHANGES``. The record of
all three is ``training/review/agreement/labels.tsv``:

    doc  i  split  first  second  second_why  second_by  adjudicated  adjudication_why  adjudicated_by

This script reports, per split and overall: how often two annotators agree, Cohen's kappa (all
four labels; and the three claim labels on sentences both call claims), and each claim label's
F1 of one annotator scored against another -- the figure to compare a model's F1 with. Run:

    python training/agreement.py            # first vs second annotation, and each vs adjudicated
    python training/agreement.py --json     # the same as JSON
    python training/agreement.py --check    # also: adjudicated labels == docs.jsonl labels
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from sklearn.metrics import cohen_kappa_score, confusion_matrix, precision_recall_fscore_support

HERE = Path(__file__).resolve().parent
DEFAULT_TABLE = HERE / "review" / "agreement" / "labels.tsv"
ALL_LABELS = ["reported_fact", "attribution", "speculation", "none"]
CLAIM_LABELS = ALL_LABELS[:3]
COLUMNS = ["doc", "i", "split", "first", "second", "second_why", "second_by", "adjudicated",
           "adjudication_why", "adjudicated_by"]


class TableError(ValueError):
    pass


def read_table(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    if rows and list(rows[0]) != COLUMNS:
        raise TableError(f"{path}: columns must be {COLUMNS}, not {list(rows[0])}")
    for n, row in enumerate(rows, 2):
        for column in ("first", "second", "adjudicated"):
            if row[column] not in ALL_LABELS:
                raise TableError(f"{path}:{n}: {column} label {row[column]!r} is not one of {ALL_LABELS}")
        row["i"] = int(row["i"])
    return rows


def compare(a: list[str], b: list[str]) -> dict:
    """Agreement between two label sequences over the same sentences. F1 scores ``b`` against ``a``."""
    if not a:
        return {"sentences": 0}
    both_claims = [(x, y) for x, y in zip(a, b) if x in CLAIM_LABELS and y in CLAIM_LABELS]
    precision, recall, f1, support = precision_recall_fscore_support(
        a, b, labels=CLAIM_LABELS, zero_division=0)
    return {
        "sentences": len(a),
        "agreement": round(sum(x == y for x, y in zip(a, b)) / len(a), 4),
        "kappa": round(float(cohen_kappa_score(a, b, labels=ALL_LABELS)), 4),
        "kappa_claims": round(float(cohen_kappa_score([x for x, _ in both_claims], [y for _, y in both_claims],
                                                      labels=CLAIM_LABELS)), 4) if both_claims else None,
        "f1": {label: round(float(score), 4) for label, score in zip(CLAIM_LABELS, f1)},
        "macro_f1": round(float(f1.mean()), 4),
        "support": {label: int(n) for label, n in zip(CLAIM_LABELS, support)},
        "confusion": {"labels": ALL_LABELS,
                      "matrix": confusion_matrix(a, b, labels=ALL_LABELS).tolist()},
    }


PAIRS = {"first_vs_second": ("first", "second"),
         "adjudicated_vs_first": ("adjudicated", "first"),
         "adjudicated_vs_second": ("adjudicated", "second")}


def agreement_report(rows: list[dict]) -> dict:
    report = {}
    for split in ("train", "dev", "test", "all"):
        chosen = [r for r in rows if split == "all" or r["split"] == split]
        report[split] = {name: compare([r[a] for r in chosen], [r[b] for r in chosen])
                         for name, (a, b) in PAIRS.items()}
    return report


def check_against_corpus(rows: list[dict], docs_path: Path) -> list[str]:
    """Sentences whose adjudicated label is not the corpus label (should be none)."""
    labels = {}
    with open(docs_path, encoding="utf-8") as fh:
        for line in fh:
            doc = json.loads(line)
            for sent in doc["sentences"]:
                labels[(doc["id"], sent["i"])] = sent.get("label") or ""
    problems = [f"{r['doc']} {r['i']}: adjudicated {r['adjudicated']}, corpus {labels.get((r['doc'], r['i']))}"
                for r in rows if labels.get((r["doc"], r["i"])) != r["adjudicated"]]
    missing = set(labels) - {(r["doc"], r["i"]) for r in rows}
    problems += [f"{doc} {i}: in the corpus, not in the agreement table" for doc, i in sorted(missing)]
    return problems


def render(report: dict) -> str:
    lines = []
    for split, pairs in report.items():
        lines.append(f"{split}:")
        for name, m in pairs.items():
            if not m["sentences"]:
                continue
            f1 = "  ".join(f"{label} {m['f1'][label]:.3f}" for label in CLAIM_LABELS)
            lines.append(f"  {name:<22} n={m['sentences']:<5} agree {m['agreement']:.3f}  kappa {m['kappa']:.3f}"
                         f"  kappa(claims) {m['kappa_claims']:.3f}  F1 {f1}  macro {m['macro_f1']:.3f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--table", type=Path, default=DEFAULT_TABLE)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--check", action="store_true", help="adjudicated labels must equal training/data/docs.jsonl")
    args = parser.parse_args()
    rows = read_table(args.table)
    report = agreement_report(rows)
    print(json.dumps(report, indent=2) if args.json else render(report))
    if args.check:
        problems = check_against_corpus(rows, HERE / "data" / "docs.jsonl")
        for problem in problems[:20]:
            print(problem, file=sys.stderr)
        if problems:
            sys.exit(f"{len(problems)} sentences differ from the corpus")


if __name__ == "__main__":
    main()
