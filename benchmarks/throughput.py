"""Throughput and memory of ``claimlens classify`` against spaCy's tokenizer, measured in one run.

    python benchmarks/throughput.py                 # 1M-word corpus, 4M-word memory run
    python benchmarks/throughput.py --words 200000 --big-words 800000 --no-profile   # a quick look

The corpus is the Wikinews articles of ``training/data/docs.jsonl`` repeated with distinct
ids until it holds ``--words`` whitespace-separated words. Measured, in this order:

1. spaCy's tokenizer alone (``spacy.blank("en")``), in this process, over the whole corpus;
2. ``claimlens classify corpus.jsonl -o out.jsonl --workers 1`` and ``--workers 2`` as
   subprocesses: words/s end to end (process start to exit, model loading included) and
   steady (from the first document written to the last, which is what a long run sees);
3. peak RSS of ``--workers 1`` runs on ``--words`` and ``--big-words`` words (``wait4``'s
   ``ru_maxrss``: the process's own peak), and of the whole process tree for ``--workers 2``
   (RSS and PSS summed over the main process and its workers, sampled every 0.2 s);
4. with ``--profile`` (default), where the time goes, on a sample of the corpus in this
   process: tokenizer, each pipeline component (its ``pipe`` in batches of 32, as classify
   runs it), the classifier's steps, building records, rendering JSON, and the
   batch machinery's own I/O (reading + hashing inputs, writing output and ledger).

Ratios are against the tokenizer measured in the same run; nothing is asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DOCS = REPO / "training" / "data" / "docs.jsonl"
PROFILE_BATCH = 32  # classify's default --batch-size


def wikinews_texts() -> list[tuple[str, str]]:
    with open(DOCS, encoding="utf-8") as fh:
        return [(doc["id"], doc["text"]) for doc in map(json.loads, fh)]


def write_corpus(path: Path, words: int) -> tuple[int, int]:
    """Repeat the articles (distinct ids) until ``words`` words; return (documents, words)."""
    texts = wikinews_texts()
    n_docs = n_words = copy = 0
    with open(path, "w", encoding="utf-8") as fh:
        while n_words < words:
            for doc_id, text in texts:
                fh.write(json.dumps({"id": f"{doc_id}-{copy}", "text": text}, ensure_ascii=False) + "\n")
                n_docs += 1
                n_words += len(text.split())
                if n_words >= words:
                    break
            copy += 1
    return n_docs, n_words


def corpus_texts(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh]


def tokenizer_rate(texts: list[str]) -> tuple[float, float]:
    """Words per second of wall time and per CPU-second."""
    import spacy

    # A fresh tokenizer: its cache of known strings starts empty.
    tokenizer = spacy.blank("en").tokenizer
    words = sum(len(t.split()) for t in texts)
    started, cpu = time.perf_counter(), time.process_time()
    for _ in tokenizer.pipe(texts, batch_size=64):
        pass
    return words / (time.perf_counter() - started), words / (time.process_time() - cpu)


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
        except OSError:
            pass
    return pids


def _kb(path: str, field: str) -> int:
    try:
        with open(path) as fh:
            for line in fh:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _own_cpu(pid: int) -> float:
    """CPU seconds used by the process itself (not its children)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


class TreeSampler(threading.Thread):
    """Peak RSS and PSS summed over a process and its descendants; the main process's own CPU time."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak_rss, self.peak_pss, self.stop = pid, 0, 0, threading.Event()
        self.main_cpu = 0.0

    def run(self) -> None:
        while not self.stop.wait(0.2):
            self.main_cpu = max(self.main_cpu, _own_cpu(self.pid))
            pids = _tree(self.pid)
            self.peak_rss = max(self.peak_rss, sum(_kb(f"/proc/{p}/status", "VmRSS:") for p in pids))
            self.peak_pss = max(self.peak_pss, sum(_kb(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids))


def doc_words(corpus: Path) -> dict[str, int]:
    with open(corpus, encoding="utf-8") as fh:
        return {doc["id"]: len(doc["text"].split()) for doc in map(json.loads, fh)}


def classify_run(corpus: Path, out: Path, workers: int, words: int) -> dict:
    ledger = out.with_name(out.name + ".ledger")
    sizes = doc_words(corpus)
    command = [sys.executable, "-m", "nlp", "classify", str(corpus), "-o", str(out),
               "--workers", str(workers), "--quiet"]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE)
    sampler = TreeSampler(process.pid)
    sampler.start()
    first, first_words, first_cpu, first_main_cpu = None, 0, 0.0, 0.0
    while True:
        # wait4, not Popen.poll: poll would reap the child and lose its resource usage.
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if first is None and ledger.exists() and ledger.read_bytes().count(b"\n") >= 2:
            first = time.perf_counter()
            first_cpu = sum(_own_cpu(p) for p in _tree(process.pid))
            first_main_cpu = _own_cpu(process.pid)
            first_words = _words_done(ledger, sizes)
        time.sleep(0.01)
    ended = time.perf_counter()
    sampler.stop.set()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        raise SystemExit(f"classify failed: {process.stderr.read().decode()}")
    first = first or started
    return {
        "workers": workers,
        "seconds": ended - started,
        "words_per_s": words / (ended - started),
        "steady_words_per_s": (words - first_words) / (ended - first),
        # CPU of the process and the workers it reaped: unaffected by other load on the machine.
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "steady_words_per_cpu_s": (words - first_words) / (usage.ru_utime + usage.ru_stime - first_cpu),
        "main_cpu_seconds": sampler.main_cpu,
        "steady_words": words - first_words,
        "steady_cpu_seconds": usage.ru_utime + usage.ru_stime - first_cpu,
        "steady_main_cpu_seconds": sampler.main_cpu - first_main_cpu,
        "max_rss_mb": usage.ru_maxrss / 1024,
        "tree_rss_mb": sampler.peak_rss / 1024,
        "tree_pss_mb": sampler.peak_pss / 1024,
    }


def _words_done(ledger: Path, sizes: dict[str, int]) -> int:
    lines = ledger.read_text(encoding="utf-8").splitlines()[1:]
    return sum(sizes[json.loads(line)["doc_id"]] for line in lines if line.endswith("}"))


def profile(corpus: Path, sample_words: int, tmp: Path) -> tuple[list[tuple[str, float]], int]:
    """CPU seconds per stage on the first ``sample_words`` words, in this process."""
    from nlp.classify import model_identity
    from nlp.inputs import flag_duplicates, iter_inputs
    from nlp.output import render_jsonl
    from nlp.pipeline import load
    from nlp.records import doc_records
    from nlp.resume import ResumableOutput, document_key

    sample = tmp / "sample.jsonl"
    texts, words = [], 0
    with open(corpus, encoding="utf-8") as fh, open(sample, "w", encoding="utf-8") as out:
        for line in fh:
            texts.append(json.loads(line)["text"])
            out.write(line)
            words += len(texts[-1].split())
            if words >= sample_words:
                break
    pipeline = load()
    pipeline("Officials said it may rain.")  # builds what components make on first use (the cue matcher)
    times: dict[str, float] = {}
    started = time.process_time()
    docs = [pipeline.make_doc(text) for text in texts]
    times["tokenizer"] = time.process_time() - started
    for name, component in pipeline.pipeline:
        # In batches, as classify's Language.pipe runs each component (the classifier predicts per batch).
        started = time.process_time()
        if hasattr(component, "pipe"):
            docs = list(component.pipe(docs, batch_size=PROFILE_BATCH))
        else:
            docs = [component(doc) for doc in docs]
        times[name] = time.process_time() - started
    times.update(classifier_parts(pipeline, texts))
    started = time.process_time()
    records = [doc_records(str(i), doc) for i, doc in enumerate(docs)]
    times["records (nlp/records.py)"] = time.process_time() - started
    started = time.process_time()
    payloads = [render_jsonl(r) for r in records]
    times["render JSONL (worker)"] = time.process_time() - started
    started = time.process_time()
    items = [(item, document_key(item)) for item in flag_duplicates(iter_inputs([str(sample)]))]
    times["read + hash + duplicate check (main)"] = time.process_time() - started
    _, model_name = model_identity(None)
    started = time.process_time()
    with ResumableOutput(tmp / "profile.jsonl", fmt="jsonl", model=model_name) as sink:
        for (item, key), payload in zip(items, payloads):
            sink.write(key, item.doc_id, payload, 1, None)
    times["write output + ledger (main)"] = time.process_time() - started
    return list(times.items()), words


def classifier_parts(pipeline, texts: list[str]) -> dict[str, float]:
    """The classifier's time split into its steps (timed again, on the same documents)."""
    from nlp.classifier import sentence_inputs

    classifier = pipeline.get_pipe("claimlens_classifier")
    before = [pipeline.get_pipe(name) for name in pipeline.pipe_names if name != "claimlens_classifier"]
    docs = []
    for text in texts:
        doc = pipeline.make_doc(text)
        for component in before:
            doc = component(doc)
        docs.append(doc)
    parts: dict[str, float] = {}
    started = time.process_time()
    inputs = [item for doc in docs for item in sentence_inputs(doc)[1]]
    parts["  classifier: cues + sentence inputs"] = time.process_time() - started
    if getattr(classifier, "_steps", None) is not None:  # what ClaimClassifier.predict runs
        from nlp.features import vectorize

        features, vectorizer, final = classifier._steps
        started = time.process_time()
        data = features.transform(inputs)
        parts["  classifier: features (SentenceFeatures)"] = time.process_time() - started
        started = time.process_time()
        data = vectorize(data, vectorizer)
        parts["  classifier: vectorize (nlp.features)"] = time.process_time() - started
        started = time.process_time()
        final.predict_proba(data)
        parts[f"  classifier: predict_proba ({type(final).__name__})"] = time.process_time() - started
        return parts
    data = inputs
    for name, step in getattr(classifier.estimator, "steps", [])[:-1]:
        started = time.process_time()
        data = step.transform(data)
        parts[f"  classifier: {name} ({type(step).__name__})"] = time.process_time() - started
    if hasattr(classifier.estimator, "steps"):
        name, step = classifier.estimator.steps[-1]
        started = time.process_time()
        step.predict_proba(data)
        parts[f"  classifier: {name} ({type(step).__name__})"] = time.process_time() - started
    return parts


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    memory = _kb("/proc/meminfo", "MemTotal:") / 1024 / 1024
    import spacy
    import sklearn

    return (f"{model}, {os.cpu_count()} cores, {memory:.0f} GiB RAM; Python {platform.python_version()}, "
            f"spaCy {spacy.__version__}, scikit-learn {sklearn.__version__}; "
            f"load average at start {os.getloadavg()[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--words", type=int, default=1_000_000)
    parser.add_argument("--big-words", type=int, default=4_000_000, help="0: skip the memory run")
    parser.add_argument("--sample-words", type=int, default=100_000, help="corpus words for --profile")
    parser.add_argument("--no-profile", dest="profile", action="store_false")
    parser.add_argument("--profile-only", action="store_true", help="only where the time goes")
    args = parser.parse_args()

    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="claimlens-bench-") as tmp:
        tmp = Path(tmp)
        corpus, big = tmp / "corpus.jsonl", tmp / "big.jsonl"
        if args.profile_only:
            report_profile(corpus, args.sample_words, tmp)
            return
        n_docs, n_words = write_corpus(corpus, args.words)
        print(f"corpus: {n_docs} documents, {n_words} words ({corpus.stat().st_size / 1e6:.1f} MB)")

        tok, tok_cpu = tokenizer_rate(corpus_texts(corpus))
        cold, cold_cpu = tokenizer_rate([text for _, text in wikinews_texts()])
        print(f"\nspaCy tokenizer alone: {tok:,.0f} words/s ({tok_cpu:,.0f} per CPU-second) on the corpus (the "
              f"baseline; repeated text hits its cache); {cold:,.0f} words/s ({cold_cpu:,.0f} per CPU-second) "
              f"on one copy of the articles")
        runs = {}
        for workers in (1, 2):
            r = runs[workers] = classify_run(corpus, tmp / f"out{workers}.jsonl", workers, n_words)
            print(f"classify --workers {workers}: {r['words_per_s']:,.0f} words/s end to end ({r['seconds']:.1f} s), "
                  f"{r['steady_words_per_s']:,.0f} words/s steady; peak RSS {r['max_rss_mb']:.0f} MB (main process), "
                  f"tree RSS {r['tree_rss_mb']:.0f} MB, tree PSS {r['tree_pss_mb']:.0f} MB")
            (tmp / f"out{workers}.jsonl").unlink()
        one, two = runs[1], runs[2]
        for r in (one, two):
            print(f"  --workers {r['workers']}: {r['cpu_seconds']:.1f} CPU-s in all ({n_words / r['cpu_seconds']:,.0f} "
                  f"words per CPU-second; {r['steady_words_per_cpu_s']:,.0f} steady), of which the main process "
                  f"{r['main_cpu_seconds']:.1f} CPU-s")
        # What 2 workers would do on 2 idle cores, from steady CPU time: the work spread over both
        # cores, or the main process's own share (reading, writing, book-keeping) if that is longer.
        main = two["steady_main_cpu_seconds"]
        two_seconds_per_word = max(two["steady_cpu_seconds"] / 2, main) / two["steady_words"]
        projected = (1 / one["steady_words_per_cpu_s"]) / two_seconds_per_word
        print(f"load average now {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        print("\nratios (same run):")
        print(f"  classify 1 worker / tokenizer: {one['steady_words_per_s'] / tok:.3f} steady, "
              f"{one['words_per_s'] / tok:.3f} end to end   (target >= 0.5)")
        print(f"  the same per CPU-second (not skewed by other load): {one['steady_words_per_cpu_s'] / tok_cpu:.3f} "
              f"steady vs the corpus tokenizer, {one['steady_words_per_cpu_s'] / cold_cpu:.3f} vs one copy")
        print(f"  classify 2 workers / 1 worker: {two['steady_words_per_s'] / one['steady_words_per_s']:.2f} steady, "
              f"{two['words_per_s'] / one['words_per_s']:.2f} end to end   (target >= 1.7 on 2 cores)")
        print(f"  classify 2 workers / 1 worker projected from CPU time on 2 idle cores: {projected:.2f}")

        corpus.unlink()
        if args.big_words:
            big_docs, big_words = write_corpus(big, args.big_words)
            large = classify_run(big, tmp / "big_out.jsonl", 1, big_words)
            print(f"\npeak RSS, --workers 1: {one['max_rss_mb']:.0f} MB for {n_words:,} words, "
                  f"{large['max_rss_mb']:.0f} MB for {big_words:,} words "
                  f"(ratio {large['max_rss_mb'] / one['max_rss_mb']:.3f}; target <= 500 MB and within ±10%)")
            print(f"  ({big_words:,}-word run: {large['words_per_s']:,.0f} words/s end to end, "
                  f"{large['steady_words_per_s']:,.0f} steady)")
            (tmp / "big_out.jsonl").unlink()
            big.unlink()

        if args.profile:
            report_profile(corpus, args.sample_words, tmp)


def report_profile(corpus: Path, sample_words: int, tmp: Path) -> None:
    write_corpus(corpus, sample_words)
    times, words = profile(corpus, sample_words, tmp)
    total = sum(seconds for name, seconds in times if not name.startswith("  "))
    print(f"\nwhere the time goes ({words:,} words, CPU time of one process; shares of the total):")
    print(f"  {'stage':48} {'seconds':>8} {'share':>7} {'words/s':>10}")
    for name, seconds in times:
        print(f"  {name:48} {seconds:8.2f} {seconds / total:7.1%} {words / max(seconds, 1e-9):10,.0f}")
    print(f"  {'total':48} {total:8.2f} {1:7.1%} {words / total:10,.0f}")

if __name__ == "__main__":
    main()
