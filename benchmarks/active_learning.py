"""Active learning benchmark: do sentences chosen by ``claimlens suggest`` teach the model more than random ones?

On the corpus's train split, each seed starts from a random 20% of the documents (labelled),
treats the sentences of the other documents as the unlabelled pool, and adds ``--batch``
sentences per round — chosen by a ``suggest`` strategy (the same ``scores`` and ``select``
functions, with near-duplicate collapsing and ``--per-doc``), or uniformly at random (the
baseline, measured in the same run on the same starting set). After each round the model is
retrained and scored on the fixed test split. The oracle answers with the corpus label.

The pool holds the claim sentences of the gold segmentation, with their features computed in
their full document (in real use a suggested sentence comes back with its context sentences
only); sentences labelled ``none`` are left out of the pool for every strategy alike.

    python benchmarks/active_learning.py                  # 3 seeds, 6 rounds of 50 (~10 minutes on 2 cores)
    python benchmarks/active_learning.py --seeds 2 --rounds 4 --json curves.json

Prints the learning curves (mean test macro-F1 ± sd over seeds per number of added labels),
each strategy's difference from random at each point, and the mean over the curve.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nlp import LABELS  # noqa: E402
from nlp.baseline import cue_rule_label  # noqa: E402
from nlp.corpus import default_data_dir, load_split  # noqa: E402
from nlp.evaluation import classification_metrics  # noqa: E402
from nlp.pipeline import build  # noqa: E402
from nlp.suggest import STRATEGIES, Candidate, scores, select  # noqa: E402
from nlp.training import examples, fit_estimator  # noqa: E402


def featurise(docs, pipeline) -> dict[str, list[tuple[dict, str, dict]]]:
    """Per document: (classifier input, gold label, gold sentence) of each claim sentence."""
    out = {}
    for doc in docs:
        X, y, _, gold = examples([doc], pipeline)
        out[doc.id] = list(zip(X, y, gold))
    return out


def choose(strategy: str, estimator, pool: list[tuple[str, int, tuple]], batch: int, per_doc: int | None,
           rng: random.Random) -> list[int]:
    """Indices into ``pool`` of the next batch."""
    if strategy == "random":
        return rng.sample(range(len(pool)), min(batch, len(pool)))
    items = [entry[2][0] for entry in pool]
    probs = estimator.predict_proba(items)
    columns = [list(estimator.classes_).index(label) for label in LABELS]
    probs = probs[:, columns]
    rules = [cue_rule_label(item) for item in items]
    values = scores(probs, strategy, rules)
    candidates = [
        Candidate(doc_id=doc_id, index=i, start=0, end=0, text=entry[0]["text"],
                  probs=dict(zip(LABELS, map(float, row))), rule_label=rule, score=float(value))
        for i, ((doc_id, _, entry), row, rule, value) in enumerate(zip(pool, probs, rules, values))
    ]
    chosen = select(candidates, n=batch, per_doc=per_doc).chosen
    # Near-duplicates of a chosen sentence are not labelled again: they leave the pool unlabelled.
    return [c.index for c in chosen]


def run(args) -> dict:
    data_dir = Path(args.data) if args.data else default_data_dir()
    started = time.monotonic()
    pipeline = build(classifier=False)
    train_docs = load_split(data_dir, "train")
    test_docs = load_split(data_dir, "test")
    per_doc_items = featurise(train_docs, pipeline)
    X_test, y_test, _, _ = examples(test_docs, pipeline)
    print(f"featurised {len(train_docs)} train documents, {len(y_test)} test sentences "
          f"in {time.monotonic() - started:.0f}s", file=sys.stderr)

    strategies = ["random", *args.strategies]
    sizes = [args.batch * r for r in range(args.rounds + 1)]
    curves: dict[str, list[list[float]]] = {s: [] for s in strategies}
    for seed in range(args.seeds):
        rng = random.Random(seed)
        doc_ids = sorted(per_doc_items)
        rng.shuffle(doc_ids)
        n_start = max(1, round(len(doc_ids) * args.start))
        start_ids = doc_ids[:n_start]
        start_set = [entry for d in start_ids for entry in per_doc_items[d]]
        base_pool = [(d, i, entry) for d in doc_ids[n_start:] for i, entry in enumerate(per_doc_items[d])]
        for strategy in strategies:
            rng_s = random.Random(1000 + seed)
            labelled, pool, curve = list(start_set), list(base_pool), []
            for r in range(args.rounds + 1):
                # Trained exactly as `claimlens train` does (document-grouped calibration folds).
                X, y = [e[0] for e in labelled], [e[1] for e in labelled]
                estimator = fit_estimator(X, y, [e[2]["doc_id"] for e in labelled], seed=seed)
                curve.append(classification_metrics(y_test, list(estimator.predict(X_test)))["macro_f1"])
                if r == args.rounds:
                    break
                picked = set(choose(strategy, estimator, pool, args.batch, args.per_doc, rng_s))
                labelled += [pool[i][2] for i in sorted(picked)]
                pool = [entry for i, entry in enumerate(pool) if i not in picked]
            curves[strategy].append(curve)
            print(f"seed {seed} {strategy:>12}: " + " ".join(f"{v:.3f}" for v in curve), file=sys.stderr)
        print(f"seed {seed}: start {n_start} documents, {len(start_set)} sentences; pool {len(base_pool)} "
              f"({time.monotonic() - started:.0f}s)", file=sys.stderr)
    return {
        "data": str(data_dir), "seeds": args.seeds, "start_fraction": args.start, "batch": args.batch,
        "per_doc": args.per_doc, "added": sizes, "test_sentences": len(y_test),
        "curves": curves, "seconds": round(time.monotonic() - started, 1),
    }


def summarise(result: dict) -> str:
    sizes, curves = result["added"], result["curves"]
    mean = {s: np.mean(c, axis=0) for s, c in curves.items()}
    sd = {s: np.std(c, axis=0) for s, c in curves.items()}
    lines = [f"test macro-F1 (mean ± sd over {result['seeds']} seeds) by labels added; "
             f"start {result['start_fraction']:.0%} of train documents, batches of {result['batch']}, "
             f"per-doc cap {result['per_doc']}, {result['test_sentences']} test sentences"]
    header = f"{'added':>6} " + " ".join(f"{s:>15}" for s in curves)
    lines += [header, "-" * len(header)]
    for i, n in enumerate(sizes):
        lines.append(f"{n:>6} " + " ".join(f"{mean[s][i]:>8.3f} ±{sd[s][i]:.3f}" for s in curves))
    lines.append("")
    lines.append("difference from random (same seeds, same start) and ratio to random")
    lines.append(f"{'added':>6} " + " ".join(f"{s:>22}" for s in curves if s != "random"))
    for i, n in enumerate(sizes[1:], 1):
        cells = []
        for s in curves:
            if s == "random":
                continue
            diffs = [a[i] - b[i] for a, b in zip(curves[s], curves["random"])]
            wins = sum(d > 0 for d in diffs)
            cells.append(f"{statistics.mean(diffs):+.3f} x{mean[s][i] / mean['random'][i]:.3f} {wins}/{len(diffs)}w")
        lines.append(f"{n:>6} " + " ".join(f"{c:>22}" for c in cells))
    lines.append("")
    lines.append("mean over the added points (area under the curve / points):")
    for s in curves:
        lines.append(f"  {s:>12}: {np.mean(mean[s][1:]):.4f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="data directory (default: training/data)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--start", type=float, default=0.2, help="fraction of train documents labelled at the start")
    parser.add_argument("--per-doc", type=int, default=5, help="suggest's --per-doc cap per round")
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES), choices=STRATEGIES)
    parser.add_argument("--json", help="also write the curves here")
    args = parser.parse_args()
    result = run(args)
    print(summarise(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
