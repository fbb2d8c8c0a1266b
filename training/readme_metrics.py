"""Regenerate the README's "Model and measured quality" section from `claimlens evaluate`.

Numbers in the README are never typed by hand: run this after training or promoting a model.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from nlp import LABELS
from nlp.evaluation import evaluate

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- metrics:start -->", "<!-- metrics:end -->"


def render(result: dict) -> str:
    metrics = result["metrics"]
    lines = [
        f"Default model `{result['model']}`, measured by `claimlens evaluate` on the **{result['data']}**: "
        f"{result['documents']} documents the model was neither trained nor tuned on, "
        f"{metrics['sentences']} claim sentences.",
        "",
        "| system | macro-F1 | accuracy | " + " | ".join(f"F1 {label}" for label in LABELS) + " |",
        "|---|---:|---:|" + "---:|" * len(LABELS),
    ]
    systems = [("**model**", metrics)] + [(f"baseline: {name}", m) for name, m in result["baselines"].items()]
    for name, m in systems:
        f1s = " | ".join(f"{m['per_label'][label]['f1']:.3f}" for label in LABELS)
        lines.append(f"| {name} | {m['macro_f1']:.3f} | {m['accuracy']:.3f} | {f1s} |")
    calibration = metrics.get("calibration")
    if calibration:
        lines += [
            "",
            f"Calibration: expected calibration error (10 bins) **{calibration['ece']:.3f}**, "
            f"Brier score {calibration['brier']:.3f}.",
            "",
            "| confidence bin | sentences | mean confidence | accuracy |",
            "|---|---:|---:|---:|",
        ]
        for row in calibration["reliability"]:
            if row["count"]:
                lines.append(
                    f"| {row['lower']:.1f}–{row['upper']:.1f} | {row['count']} | "
                    f"{row['confidence']:.3f} | {row['accuracy']:.3f} |"
                )
    lines += [
        "",
        "Per label (precision / recall / F1 / support): "
        + "; ".join(
            f"{label} {m['precision']:.3f} / {m['recall']:.3f} / {m['f1']:.3f} / {m['support']}"
            for label, m in metrics["per_label"].items()
        )
        + ".",
        "",
        "The cue-rule baseline applies the label standard's decision procedure to the cue lexicon alone; the "
        "majority baseline always predicts the most frequent training label.",
    ]
    return "\n".join(lines)


def main() -> None:
    result = evaluate()
    text = README.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        sys.exit(f"{README}: markers {START} ... {END} not found")
    README.write_text(pattern.sub(lambda _: f"{START}\n{render(result)}\n{END}", text), encoding="utf-8")
    print(render(result))


if __name__ == "__main__":
    main()
