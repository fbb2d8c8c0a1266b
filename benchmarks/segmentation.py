"""Sentence segmentation: boundary accuracy on the Wikinews corpus, Golden Rules, and speed.

    /work/venv/bin/python benchmarks/segmentation.py              # everything, one run
    /work/venv/bin/python benchmarks/segmentation.py --passes 3   # fewer timing passes
    /work/venv/bin/python benchmarks/segmentation.py --errors     # also list boundary errors (train+dev only)
    /work/venv/bin/python benchmarks/segmentation.py --json out.json

Systems: the claimlens segmenter (``spacy.blank("en")`` + ``claimlens_segmenter``), spaCy's
rule-based ``sentencizer`` (``spacy.blank("en")`` + ``sentencizer``) and pySBD (optional:
``pip install pysbd``; reported as "not installed" when absent).

Boundaries: gold sentences of ``training/data/docs.jsonl`` (AMALGUM/GUM, Wikinews). A boundary
is the character offset where a sentence starts; the first sentence of each document is not
counted (it always starts at the first character). A predicted boundary counts only at exactly
the gold offset (leading whitespace of a segment is skipped). Two scores are reported:
* ``strict``: offsets compared as they are;
* ``quote-neutral`` (the headline figure): both gold and predicted offsets first skip any
  whitespace and double quotation marks, so the side of a boundary a quotation mark is attached
  to is not counted, and a gold "sentence" made only of a quotation mark is not a boundary of its
  own. Why: the gold puts an opening mark with the sentence it opens almost everywhere, but it has
  slips (``quote_slips``: 12 gold sentences that are a lone quotation mark, 10 that end with the
  opening mark of the next sentence), and each slip costs a correct segmenter one or two errors
  under ``strict``. All systems are scored the same way; ``strict`` is printed too.
Precision / recall / F1 are
micro-averaged over boundaries, reported on the ``test`` documents of ``splits.json`` (never
used to tune the rules), on the ``train``+``dev`` documents (the only ones the rules were tuned
on) and on all documents.

Golden Rules: the 48 English cases of the Pragmatic Segmenter (as shipped in pySBD's tests),
``tests/data/golden_rules_en.jsonl``; a case passes when the stripped segments equal the
expected list exactly.

Speed: words per second (whitespace-separated words of the corpus texts), best of N passes over
the whole corpus, the systems interleaved within each pass so they see the same machine load,
measured in process CPU time (``--clock wall`` for wall-clock time). spaCy's tokenizer alone is
the baseline. Two ways of calling, each against the tokenizer called the same way:
* one document at a time: ``pipeline(text)`` (tokenizer: ``pipeline.make_doc(text)``);
* streamed: ``pipeline.pipe(texts, batch_size=64)`` (tokenizer: ``tokenizer.pipe(texts, batch_size=64)``),
  as ``claimlens classify`` runs it.
pySBD has no batch mode: ``segment(text)`` per document. Targets: claimlens >= 2x pySBD and
>= 0.7x the tokenizer.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DOCS = REPO / "training" / "data" / "docs.jsonl"
SPLITS = REPO / "training" / "data" / "splits.json"
GOLDEN = REPO / "tests" / "data" / "golden_rules_en.jsonl"
TARGETS = {"golden_rules": 47, "test_f1": 0.98, "vs_pysbd": 2.0, "vs_tokenizer": 0.7}


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


BATCH_SIZE = 64


class System:
    """A segmenter under test: ``spans(text)`` gives (start, end) character offsets; ``run(text)``
    processes one document, ``stream(texts)`` a list of them (None: same as one at a time)."""

    def __init__(self, name: str, spans, run, stream=None):
        self.name, self.spans, self.run = name, spans, run
        self.stream = stream or (lambda texts: [run(text) for text in texts])


def spacy_system(name: str, component: str | None) -> System:
    import spacy

    import nlp.segmentation  # noqa: F401  (registers the factory)

    pipeline = spacy.blank("en")
    if component:
        pipeline.add_pipe(component)

    def spans(text: str) -> list[tuple[int, int]]:
        return [(s.start_char, s.end_char) for s in pipeline(text).sents]

    if component:
        return System(name, spans, pipeline, lambda texts: list(pipeline.pipe(texts, batch_size=BATCH_SIZE)))
    tokenizer = pipeline.tokenizer
    return System(name, spans, pipeline.make_doc, lambda texts: list(tokenizer.pipe(texts, batch_size=BATCH_SIZE)))


def pysbd_system() -> System | None:
    try:
        import pysbd
    except ImportError:
        return None
    plain = pysbd.Segmenter(language="en", clean=False)
    with_spans = pysbd.Segmenter(language="en", clean=False, char_span=True)

    def spans(text: str) -> list[tuple[int, int]]:
        return [(s.start, s.end) for s in with_spans.segment(text)]

    return System("pySBD", spans, plain.segment)


QUOTATION_MARKS = frozenset('"\u201c\u201d')


def starts_of(text: str, spans: list[tuple[int, int]], *, quote_neutral: bool = False) -> set[int]:
    """Sentence start offsets after the first sentence, leading whitespace (and quotation marks) skipped."""
    starts = set()
    for start, end in spans[1:]:
        start = _skip(text, start, end, quote_neutral)
        if start < end:
            starts.add(start)
    return starts


def _skip(text: str, start: int, end: int, quote_neutral: bool) -> int:
    while start < end and (text[start].isspace() or (quote_neutral and text[start] in QUOTATION_MARKS)):
        start += 1
    if quote_neutral and start == end:
        # a segment made only of quotation marks: its boundary is where the next text starts
        while end < len(text) and (text[end].isspace() or text[end] in QUOTATION_MARKS):
            end += 1
        return end if end < len(text) else start
    return start


def gold_starts(doc: dict, *, quote_neutral: bool) -> set[int]:
    text = doc["text"]
    spans = [(s["start"], s["end"]) for s in doc["sentences"]]
    if not quote_neutral:
        return {start for start, _ in spans[1:]}
    return {start for start in starts_of(text, spans, quote_neutral=True) if start < len(text)}


def quote_slips(docs: list[dict]) -> dict[str, int]:
    """Gold boundaries that split a quotation mark from its sentence (what quote-neutral forgives)."""
    lone = stranded = 0
    for doc in docs:
        text = doc["text"]
        for sent in doc["sentences"]:
            piece = text[sent["start"]:sent["end"]]
            if piece.strip() and all(ch in QUOTATION_MARKS for ch in piece.strip()):
                lone += 1
            elif len(piece) >= 2 and piece[-1] in QUOTATION_MARKS and piece[-2].isspace():
                stranded += 1
    return {"lone_quote_sentences": lone, "opening_mark_at_end": stranded}


def boundary_scores(system: System, docs: list[dict], errors: list | None = None, *,
                    quote_neutral: bool = True) -> dict:
    tp = fp = fn = 0
    for doc in docs:
        text = doc["text"]
        gold = gold_starts(doc, quote_neutral=quote_neutral)
        pred = starts_of(text, system.spans(text), quote_neutral=quote_neutral)
        tp += len(gold & pred)
        fp += len(pred - gold)
        fn += len(gold - pred)
        if errors is not None:
            for kind, offsets in (("FP", pred - gold), ("FN", gold - pred)):
                errors.extend((doc["id"], kind, text[max(0, x - 50):x], text[x:x + 30]) for x in sorted(offsets))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "boundaries": tp + fn, "tp": tp, "fp": fp, "fn": fn}


def golden_score(system: System, cases: list[dict]) -> tuple[int, list[int]]:
    failed = []
    for case in cases:
        text = case["text"]
        got = [text[a:b].strip() for a, b in system.spans(text)]
        got = [g for g in got if g]
        if got != case["expected"]:
            failed.append(case["rule"])
    return len(cases) - len(failed), failed


def timing(systems: list[System], texts: list[str], passes: int, clock, *, streamed: bool) -> dict[str, float]:
    """Best time per system for one pass over ``texts``; systems interleaved within each pass."""
    for system in systems:  # warm-up: vocabularies, caches, lazy imports
        system.stream(texts)
    best = {s.name: float("inf") for s in systems}
    for _ in range(passes):
        for system in systems:
            if streamed:
                start = clock()
                system.stream(texts)
            else:
                run = system.run
                start = clock()
                for text in texts:
                    run(text)
            best[system.name] = min(best[system.name], clock() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passes", type=int, default=7, help="timing passes per system (best is kept)")
    parser.add_argument("--pysbd-passes", type=int, default=3, help="timing passes for pySBD (slow)")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    parser.add_argument("--errors", action="store_true", help="list claimlens boundary errors on train+dev")
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    docs = load_jsonl(DOCS)
    splits = json.loads(SPLITS.read_text(encoding="utf-8"))
    test_ids = set(splits["test"])
    tune_ids = set(splits["train"]) | set(splits["dev"])
    subsets = {
        "test": [d for d in docs if d["id"] in test_ids],
        "train+dev": [d for d in docs if d["id"] in tune_ids],
        "all": docs,
    }
    cases = load_jsonl(GOLDEN)

    claimlens = spacy_system("claimlens", "claimlens_segmenter")
    sentencizer = spacy_system("sentencizer", "sentencizer")
    tokenizer = spacy_system("tokenizer", None)
    pysbd = pysbd_system()
    segmenters = [claimlens, sentencizer] + ([pysbd] if pysbd else [])

    results: dict = {"boundaries": {}, "boundaries_strict": {}, "gold_quote_slips": quote_slips(docs),
                     "golden_rules": {}, "speed": {}, "ratios": {}}
    print(f"Boundaries: {len(docs)} documents ({', '.join(f'{k} {len(v)}' for k, v in subsets.items())});"
          " first sentence of each document not counted")
    print(f"gold boundaries that split a quotation mark from its sentence: {results['gold_quote_slips']}")
    for key, quote_neutral in (("boundaries", True), ("boundaries_strict", False)):
        print(f"\n{'quote-neutral (headline)' if quote_neutral else 'strict offsets'}")
        print(f"{'system':<12} {'subset':<10} {'P':>7} {'R':>7} {'F1':>7} {'gold':>6} {'FP':>5} {'FN':>5}")
        for system in segmenters:
            results[key][system.name] = {}
            for subset, subset_docs in subsets.items():
                listed = args.errors and quote_neutral and system is claimlens and subset == "train+dev"
                errors = [] if listed else None
                score = boundary_scores(system, subset_docs, errors, quote_neutral=quote_neutral)
                results[key][system.name][subset] = score
                print(f"{system.name:<12} {subset:<10} {score['precision']:7.4f} {score['recall']:7.4f} "
                      f"{score['f1']:7.4f} {score['boundaries']:6d} {score['fp']:5d} {score['fn']:5d}")
                for doc_id, kind, before, after in errors or ():
                    print(f"    {kind} {doc_id}: {before!r} || {after!r}")
    if pysbd is None:
        print("pySBD: not installed (pip install pysbd)")

    print(f"\nGolden Rules ({len(cases)} English cases)")
    for system in segmenters:
        passed, failed = golden_score(system, cases)
        results["golden_rules"][system.name] = {"passed": passed, "failed": failed}
        print(f"{system.name:<12} {passed:2d}/{len(cases)}  failed: {failed or '-'}")

    if not args.no_timing:
        texts = [d["text"] for d in docs]
        words = sum(len(t.split()) for t in texts)
        clock = time.process_time if args.clock == "cpu" else time.perf_counter
        pysbd_speed = None
        if pysbd:
            pysbd_speed = words / timing([pysbd], texts, args.pysbd_passes, clock, streamed=False)["pySBD"]
        for mode, streamed in (("one document at a time", False), (f"streamed (pipe, batch {BATCH_SIZE})", True)):
            best = timing([tokenizer, claimlens, sentencizer], texts, args.passes, clock, streamed=streamed)
            speed = {name: words / seconds for name, seconds in best.items()}
            if pysbd_speed:
                speed["pySBD"] = pysbd_speed
            ratios = {"claimlens / tokenizer": speed["claimlens"] / speed["tokenizer"],
                      "sentencizer / tokenizer": speed["sentencizer"] / speed["tokenizer"]}
            if pysbd_speed:
                ratios["claimlens / pySBD"] = speed["claimlens"] / pysbd_speed
            key = "streamed" if streamed else "per_document"
            results["speed"][key] = speed
            results["ratios"][key] = ratios
            print(f"\nSpeed, {mode}: {words} words, best of {args.passes} passes ({args.clock} time)")
            for name, wps in speed.items():
                print(f"{name:<12} {wps:12,.0f} words/s")
            for name, ratio in ratios.items():
                print(f"{name:<24} {ratio:6.2f}x")
        if not pysbd:
            print("claimlens / pySBD: not measured (pySBD not installed)")

    print("\nTargets: Golden Rules >= 47/48, test boundary F1 >= 0.98, >= 2x pySBD, >= 0.7x tokenizer")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
