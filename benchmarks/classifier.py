"""What the claim classifier adds to the pipeline's time (issue 5: target <= 30%), measured in one run.

    python benchmarks/classifier.py                # 5 interleaved passes over the Wikinews texts
    python benchmarks/classifier.py --passes 3 --profile 25   # plus the classifier's top functions

The texts are the Wikinews articles of ``training/data/docs.jsonl``, in chunks of 32 (one
batch each). One loaded pipeline runs them in passes; within a pass, chunk by chunk, the order
of the two measurements alternates, so slow spells of a shared machine hit both alike:

- ``without``: ``pipeline.pipe`` with ``claimlens_classifier`` disabled (tokenizer, segmenter,
  entities, sources); the docs it makes are kept, and ``classifier alone`` is the
  classifier's ``pipe`` over them (the classifier's own cost, without a second run of the rest);
- ``with``: the full pipeline, as ``claimlens classify`` runs it (``batch_size`` 32).

All times are CPU seconds of this process (``time.process_time``): other load on the machine
does not count, but a busy machine still slows a process down (shared caches), so each
chunk's best pass is kept. A warm-up pass (lexicon and matcher building, caches) is not
counted; after it the tokenizer's cache knows every text, so "without" is cheaper than on
new text and the ratio is, if anything, on the high side. Printed: per pass and best, and
the ratios "classifier adds X%", both as
``with / without - 1`` and as ``classifier alone / without``, from the best times and as the
median of the per-pass ratios. Nothing is asserted.
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import json
import pstats
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DOCS = REPO / "training" / "data" / "docs.jsonl"
CLASSIFIER = "claimlens_classifier"
BATCH_SIZE = 32  # what classify uses


def wikinews_texts() -> list[str]:
    with open(DOCS, encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh if line.strip()]


def cpu(run) -> tuple[float, object]:
    gc.collect()  # start each measurement without garbage left by the previous one
    started = time.process_time()
    result = run()
    return time.process_time() - started, result


def run_without(pipeline, texts: list[str]) -> list:
    return list(pipeline.pipe(texts, batch_size=BATCH_SIZE, disable=[CLASSIFIER]))


def run_with(pipeline, texts: list[str]) -> None:
    for _ in pipeline.pipe(texts, batch_size=BATCH_SIZE):  # not kept, as in classify
        pass


def run_classifier(pipeline, docs: list) -> list:
    return list(pipeline.get_pipe(CLASSIFIER).pipe(docs, batch_size=BATCH_SIZE))


def one_pass(pipeline, chunks: list[list[str]], with_first: bool) -> dict[str, list[float]]:
    """CPU seconds per chunk of texts for each measurement, the two orders alternating chunk by chunk."""
    times: dict[str, list[float]] = {"without": [], "with": [], "classifier alone": []}
    for i, texts in enumerate(chunks):
        order = ("with", "without") if with_first == (i % 2 == 0) else ("without", "with")
        for name in order:
            if name == "with":
                seconds, _ = cpu(lambda: run_with(pipeline, texts))
                times["with"].append(seconds)
            else:
                # The docs are kept for the classifier's own run (which the "with" run does not need).
                seconds, docs = cpu(lambda: run_without(pipeline, texts))
                times["without"].append(seconds)
                seconds, _ = cpu(lambda: run_classifier(pipeline, docs))
                times["classifier alone"].append(seconds)
                del docs
    return times


def profile_classifier(pipeline, texts: list[str], top: int) -> None:
    docs = run_without(pipeline, texts)
    gc.collect()
    gc.disable()  # or collections land on whichever call happens to allocate
    profiler = cProfile.Profile()
    profiler.enable()
    run_classifier(pipeline, docs)
    profiler.disable()
    gc.enable()
    print(f"\nclassifier alone, top {top} functions by own time (cProfile, garbage collection off; "
          "its overhead inflates small calls):")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--model", default=None, help="model directory or name (default: the default model)")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="also print the classifier's top N functions")
    args = parser.parse_args()

    from nlp.pipeline import load

    texts = wikinews_texts()
    words = sum(len(text.split()) for text in texts)
    chunks = [texts[i:i + BATCH_SIZE] for i in range(0, len(texts), BATCH_SIZE)]
    pipeline = load(args.model)
    one_pass(pipeline, chunks, with_first=True)  # warm-up, not counted
    passes = [one_pass(pipeline, chunks, with_first=i % 2 == 1) for i in range(args.passes)]
    total = [{name: sum(seconds) for name, seconds in t.items()} for t in passes]

    print(f"{len(texts)} Wikinews texts, {words:,} words in {len(chunks)} chunks; {args.passes} passes; "
          f"CPU seconds of this process")
    print(f"  {'pass':>4} {'without':>9} {'with':>9} {'classifier':>11} {'with/without-1':>15} {'alone/without':>14}")
    for i, t in enumerate(total, 1):
        print(f"  {i:4d} {t['without']:9.3f} {t['with']:9.3f} {t['classifier alone']:11.3f} "
              f"{t['with'] / t['without'] - 1:15.1%} {t['classifier alone'] / t['without']:14.1%}")
    # Per chunk, the best pass: a slow spell on the shared machine rarely hits every pass of a chunk.
    best = {name: sum(min(t[name][c] for t in passes) for c in range(len(chunks))) for name in passes[0]}
    print(f"  best {best['without']:9.3f} {best['with']:9.3f} {best['classifier alone']:11.3f}   "
          "(sum over chunks of each chunk's best pass)")
    added = best["with"] / best["without"] - 1
    alone = best["classifier alone"] / best["without"]
    median_added = statistics.median(t["with"] / t["without"] - 1 for t in total)
    median_alone = statistics.median(t["classifier alone"] / t["without"] for t in total)
    print(f"\npipeline without the classifier: {words / best['without']:,.0f} words per CPU-second (best)")
    print(f"classifier adds {added:.1%} (best with / best without; median of passes {median_added:.1%})")
    print(f"classifier alone / pipeline without it: {alone:.1%} (best; median of passes {median_alone:.1%})")
    print("target: <= 30% (issue 5)")
    if args.profile:
        profile_classifier(pipeline, texts, args.profile)


if __name__ == "__main__":
    main()
