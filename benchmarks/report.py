"""How long `claimlens report` takes on a classify output, against the classify run that made it.

Builds N articles (default 1,000) from the real Wikinews text in ``training/data/docs.jsonl``
(each article: one document's text followed by a slice of another's, so no two are alike),
runs ``claimlens classify`` on them, then ``claimlens report`` on the output file in each
format. Both are timed as whole commands (process start, imports, model load included), as a
user would run them. Prints the times and report/classify ratios; the target is ≤ 0.10.

    /work/venv/bin/python benchmarks/report.py [--articles 1000] [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "training" / "data" / "docs.jsonl"
TARGET = 0.10


def make_articles(count: int, path: Path) -> None:
    docs = [json.loads(line)["text"] for line in DOCS.read_text(encoding="utf-8").splitlines() if line.strip()]
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(count):
            first = docs[i % len(docs)]
            other = docs[(7 * i + 3) % len(docs)].split("\n")
            # A varying slice of another article keeps the texts distinct while staying real prose.
            tail = "\n".join(other[(i // len(docs)) % max(1, len(other)):][:3])
            fh.write(json.dumps({"id": f"bench-{i:04d}", "text": f"{first}\n{tail}".strip()}, ensure_ascii=False) + "\n")


def timed(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "nlp", *args], cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--keep", type=Path, help="Keep the articles, classify output and reports here.")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        work = args.keep or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        articles, records = work / "articles.jsonl", work / "classified.jsonl"
        make_articles(args.articles, articles)
        classify_seconds = timed(["classify", str(articles), "-o", str(records), "--quiet"])
        lines = sum(1 for _ in open(records, encoding="utf-8"))
        print(f"classify: {args.articles} articles, {lines} records in {classify_seconds:.2f} s")
        worst = 0.0
        for view, suffix in (("json", "json"), ("table", "txt"), ("markdown", "md"), ("html", "html")):
            seconds = timed(["report", str(records), "--format", view, "-o", str(work / f"report.{suffix}")])
            ratio = seconds / classify_seconds
            worst = max(worst, ratio)
            print(f"report --format {view:<8}: {seconds:6.2f} s  ratio {ratio:.3f}")
    print(f"worst ratio {worst:.3f} (target ≤ {TARGET:.2f}): {'ok' if worst <= TARGET else 'TOO SLOW'}")
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
