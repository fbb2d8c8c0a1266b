"""Source extraction against the hand-labelled sample, and the entity ruler's share of pipeline time.

    /work/venv/bin/python benchmarks/sources.py                 # accuracy + timing
    /work/venv/bin/python benchmarks/sources.py --no-timing     # accuracy only
    /work/venv/bin/python benchmarks/sources.py --errors        # list the mismatches too
    /work/venv/bin/python benchmarks/sources.py --no-timing --rounds 1,train --errors
                                         # only these rounds (rows of other rounds are not even predicted)

Rows come from ``training/data/sources_sample.jsonl`` (dev/test documents, rounds 1, 2 and 3) and
``training/data/sources_train_sample.jsonl`` (train documents, round "train", for tuning);
``--rounds`` picks rounds ("1", "2", "3", "train"), and the report has one line per round.
Rounds 2 and 3 are blind (never used to write rules): the targets are checked on them together
(``accuracy_blind_2+3``). Tune on round 1 and "train" only, and leave the blind rounds out of
``--errors`` runs.

Accuracy: ``training/data/sources_sample.jsonl`` (sentences from dev/test documents, gold source
span and type per sentence, or null). The pipeline runs on each document with the gold sentence
boundaries (``nlp.pipeline.annotate_gold``: the segmenter still supplies quotations), and the
predicted ``span._.source`` of each sampled sentence is compared with the gold one:
* span precision / recall / F1, exact (same characters) and overlap (any shared character);
  a prediction where gold has none is a false positive, a missing one a false negative;
* type accuracy over the overlap-matched pairs.
Targets: overlap F1 >= 0.85, type accuracy >= 0.85.

Timing (same run, same documents, best of N passes) on every document of
``training/data/docs.jsonl`` with the full pipeline (default model): each component's own time;
the ruler's share is its time over the time of everything else (tokenizer, segmenter, sources,
classifier). Target <= 0.15. Also reported: wall time with and without the ruler (that
difference includes the extra work later components do on the entities found) and the one-off
cost of loading the patterns (once per process).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SAMPLE = REPO / "training" / "data" / "sources_sample.jsonl"
TRAIN_SAMPLE = REPO / "training" / "data" / "sources_train_sample.jsonl"
DOCS = REPO / "training" / "data" / "docs.jsonl"
TARGETS = {"overlap_f1": 0.85, "type_accuracy": 0.85, "ruler_share": 0.15}


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_rows(rounds: str) -> list[dict]:
    """Sample rows of the requested rounds (``"1,2"``, ``"train"``, ``"all"``)."""
    rows = load_jsonl(SAMPLE)
    if TRAIN_SAMPLE.exists():
        rows += load_jsonl(TRAIN_SAMPLE)
    if rounds == "all":
        return rows
    wanted = {r.strip() for r in rounds.split(",") if r.strip()}
    return [r for r in rows if str(r.get("round", 1)) in wanted]


def predict_sample(rows: list[dict]) -> list[dict | None]:
    from nlp import pipeline as pipeline_module

    docs = {d["id"]: d for d in load_jsonl(DOCS)}
    pipeline = pipeline_module.build(classifier=False)
    by_doc = defaultdict(list)
    for index, row in enumerate(rows):
        by_doc[row["doc"]].append(index)
    predictions: list[dict | None] = [None] * len(rows)
    for doc_id, indices in by_doc.items():
        record = docs[doc_id]
        gold = [(s["start"], s["end"]) for s in record["sentences"]]
        doc = pipeline_module.annotate_gold(pipeline, record["text"], gold)
        sents = list(doc.sents)
        for index in indices:
            start = rows[index]["start"]
            sent = next((s for s in sents if s.start_char <= start < s.end_char), None)
            predictions[index] = sent._.source if sent is not None else None
    return predictions


def overlap(a: dict, b: dict) -> bool:
    return a["start"] < b["end"] and b["start"] < a["end"]


def score(rows: list[dict], predictions: list[dict | None]) -> dict:
    gold_n = sum(1 for r in rows if r["source"])
    pred_n = sum(1 for p in predictions if p)
    exact = sum(1 for r, p in zip(rows, predictions) if r["source"] and p
                and (p["start"], p["end"]) == (r["source"]["start"], r["source"]["end"]))
    matched = [(r, p) for r, p in zip(rows, predictions) if r["source"] and p and overlap(r["source"], p)]
    typed = sum(1 for r, p in matched if r["source"]["type"] == p["type"])

    def prf(hits: int) -> dict:
        precision = hits / pred_n if pred_n else 0.0
        recall = hits / gold_n if gold_n else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}

    return {"sentences": len(rows), "gold_sources": gold_n, "predicted_sources": pred_n,
            "exact": prf(exact), "overlap": prf(len(matched)),
            "type_accuracy": round(typed / len(matched), 3) if matched else 0.0}


def timing(passes: int) -> dict:
    """Per-component CPU time of the full pipeline over the corpus (best of ``passes``); the ruler's
    share is its own time over everything else in the same run. The with/without-ruler
    times are reported too: their difference also holds the later components' extra work on
    the entities the ruler found (the source component reads them). CPU time of this process,
    as in the other benchmarks: wall time moved by several per cent between identical runs."""
    clock = time.process_time
    import nlp.entities as entities
    from nlp import pipeline as pipeline_module
    from nlp.model_store import load_model

    texts = [d["text"] for d in load_jsonl(DOCS)]
    entities.shared_matchers.cache_clear()
    entities.load_patterns.cache_clear()
    started = clock()
    entities.shared_matchers(str(entities.DEFAULT_PATTERNS))
    ruler_load = clock() - started
    try:
        estimator, meta, _ = load_model(None)
    except Exception:  # no trained model: time the pipeline without the classifier
        estimator = meta = None
    with_ruler = pipeline_module.build(classifier=estimator is not None)
    without_ruler = pipeline_module.build(classifier=estimator is not None)
    without_ruler.remove_pipe(pipeline_module.ENTITIES)
    if estimator is not None:
        for pipeline in (with_ruler, without_ruler):
            pipeline.get_pipe(pipeline_module.CLASSIFIER).use(estimator, meta)
    best_components: dict[str, float] = {}
    best_wall = {"with": float("inf"), "without": float("inf")}
    for _ in range(passes):
        spent = defaultdict(float)
        for text in texts:
            started = clock()
            doc = with_ruler.make_doc(text)
            spent["tokenizer"] += clock() - started
            for name, component in with_ruler.pipeline:
                started = clock()
                doc = component(doc)
                spent[name] += clock() - started
        if not best_components or sum(spent.values()) < sum(best_components.values()):
            best_components = dict(spent)
        for name, pipeline in (("without", without_ruler), ("with", with_ruler)):
            started = clock()
            for text in texts:
                pipeline(text)
            best_wall[name] = min(best_wall[name], clock() - started)
    ruler_time = best_components[pipeline_module.ENTITIES]
    rest = sum(best_components.values()) - ruler_time
    return {
        "documents": len(texts),
        "classifier": estimator is not None,
        "patterns": with_ruler.get_pipe(pipeline_module.ENTITIES).pattern_count,
        "component_seconds": {k: round(v, 3) for k, v in best_components.items()},
        "ruler_share": round(ruler_time / rest, 3),
        "seconds_without_ruler": round(best_wall["without"], 3),
        "seconds_with_ruler": round(best_wall["with"], 3),
        "with_without_share": round((best_wall["with"] - best_wall["without"]) / best_wall["without"], 3),
        "ruler_load_seconds": round(ruler_load, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="source extraction accuracy and entity ruler cost")
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument("--passes", type=int, default=7)
    parser.add_argument("--errors", action="store_true", help="print each mismatch")
    parser.add_argument("--rounds", default="1,2,3",
                        help='comma-separated rounds to score: 1, 2, 3 (dev/test sample), train (train sample); '
                             '"all" for every row of both files')
    args = parser.parse_args(argv)
    rows = load_rows(args.rounds)
    predictions = predict_sample(rows)
    result = {"rounds": sorted({str(r.get("round", 1)) for r in rows}), "accuracy": score(rows, predictions)}
    # Round 1 was measured once before the rules were revised with its errors in view; round 2
    # was labelled afterwards and never used for rule writing; "train" rows come from train
    # documents, for tuning (see the samples' README).
    keys = {"1": "round1", "2": "round2_unseen", "3": "round3_unseen", "train": "train_sample"}
    for name in result["rounds"]:
        pairs = [(r, p) for r, p in zip(rows, predictions) if str(r.get("round", 1)) == name]
        result[f"accuracy_{keys.get(name, name)}"] = score([r for r, _ in pairs], [p for _, p in pairs])
    blind = [n for n in result["rounds"] if n not in ("1", "train")]
    if len(blind) > 1:
        pairs = [(r, p) for r, p in zip(rows, predictions) if str(r.get("round", 1)) in blind]
        result["accuracy_blind_" + "+".join(blind)] = score([r for r, _ in pairs], [p for _, p in pairs])
    for split in ("dev", "test"):
        pairs = [(r, p) for r, p in zip(rows, predictions) if r["split"] == split]
        if pairs:
            result[f"accuracy_{split}"] = score([r for r, _ in pairs], [p for _, p in pairs])
    if not args.no_timing:
        result["timing"] = timing(args.passes)
    if args.errors:
        for row, pred in zip(rows, predictions):
            gold = row["source"]
            ok = (gold is None and pred is None) or (gold and pred and overlap(gold, pred)
                                                     and gold["type"] == pred["type"])
            if not ok:
                print(f"{row['doc']} s{row['i']}: {row['text'][:110]!r}")
                print(f"    gold={gold and (gold['text'], gold['type'])}  pred={pred and (pred['text'], pred['type'])}")
    blind_keys = [key for key in result if key.startswith("accuracy_blind_")]
    blind_keys += [f"accuracy_{keys[n]}" for n in blind if len(blind) == 1]
    result["targets_on"] = blind_keys[0] if blind_keys else "accuracy"
    acc = result[result["targets_on"]]
    result["targets_met"] = {
        "overlap_f1": acc["overlap"]["f1"] >= TARGETS["overlap_f1"],
        "type_accuracy": acc["type_accuracy"] >= TARGETS["type_accuracy"],
    }
    if "timing" in result:
        result["targets_met"]["ruler_share"] = result["timing"]["ruler_share"] <= TARGETS["ruler_share"]
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
