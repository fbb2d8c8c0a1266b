"""How the default model's dev and test scores moved, commit by commit, from the ``meta.json`` in git history.

Dev is what settings were checked on; test was never used to choose. When dev climbs and test does not,
the work between two commits fitted the documents it was shaped on (the train documents' cross-validation
errors, dev) more than it generalised. Labels changed along the way too (the corpus review), so scores of
early commits were measured against slightly different gold labels.

    python training/model_history.py            # claimlens-news-1
    python training/model_history.py --model models/OTHER
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent


def scores(meta_text: str) -> dict[str, tuple[float, float]] | None:
    """(macro-F1, speculation F1) per split recorded in one ``meta.json`` text; None if it is not one."""
    try:
        metrics = json.loads(meta_text).get("metrics")
    except (json.JSONDecodeError, AttributeError):
        return None
    if not isinstance(metrics, dict):
        return None
    rows = {}
    for split in ("dev", "test"):
        split_metrics = metrics.get(split)
        if isinstance(split_metrics, dict) and "macro_f1" in split_metrics:
            speculation = split_metrics.get("per_label", {}).get("speculation", {}).get("f1")
            rows[split] = (split_metrics["macro_f1"], speculation)
    return rows or None


def history(meta_path: str, checkout: Path = CHECKOUT) -> list[dict]:
    """One row per commit of ``checkout`` that changed ``meta_path``, oldest first."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(checkout), *args], check=True, capture_output=True,
                              text=True).stdout

    rows = []
    for line in reversed(git("log", "--format=%h\t%ad\t%s", "--date=short", "--", meta_path).splitlines()):
        commit, date, subject = line.split("\t", 2)
        try:
            recorded = scores(git("show", f"{commit}:{meta_path}"))
        except subprocess.CalledProcessError:  # the commit deleted the file
            continue
        if recorded:
            rows.append({"commit": commit, "date": date, "subject": subject, **recorded})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="models/claimlens-news-1", help="model directory, relative to the checkout")
    args = parser.parse_args()
    try:
        rows = history(f"{args.model.rstrip('/')}/meta.json")
    except (OSError, subprocess.CalledProcessError) as err:
        sys.exit(f"error: cannot read the git history of {CHECKOUT}: {err}")
    if not rows:
        sys.exit(f"error: no commit of {args.model}/meta.json records dev or test metrics")
    print("commit   dev F1 (spec)    test F1 (spec)   change")
    for row in rows:
        cells = [f"{row[s][0]:.3f} ({row[s][1]:.2f})" if s in row and row[s][1] is not None
                 else (f"{row[s][0]:.3f}" if s in row else "—") for s in ("dev", "test")]
        print(f"{row['commit']:8s} {cells[0]:16s} {cells[1]:16s} {row['subject'][:70]}")
    first, last = rows[0], rows[-1]
    for split in ("dev", "test"):
        if split in first and split in last:
            print(f"{split}: {first[split][0]:.3f} -> {last[split][0]:.3f} "
                  f"({last[split][0] - first[split][0]:+.3f} macro-F1 over {len(rows)} models)")


if __name__ == "__main__":
    main()
