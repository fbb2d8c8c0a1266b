"""Copy the labelled Wikinews corpus from ``../shared`` into ``training/data``.

Run once by a maintainer (never at run time). Writes:

* ``training/data/docs.jsonl`` -- one document per line:
  ``{"id", "text", "source", "sentences": [{"i", "start", "end", "type", "label", "why", "labelled_by"}]}``
* ``training/data/provenance.tsv`` -- per document: id, source corpus, title, date, URL, licence.
* ``training/data/splits.json`` -- the fixed train/dev/test split by document.

Label changes from the corpus review are kept in ``training/data/CHANGES`` (doc, i, old,
new, reason, reviewer) and applied here, so every label in ``docs.jsonl`` traces back to the
original annotation or to a logged, reasoned change. A change whose ``old`` label does not
match the corpus is an error.

The split is a deterministic function of the document id (SHA-256), so it never changes
when documents are added: new documents land in a split without moving old ones.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parent.parent / "shared" / "corpora" / "wikinews"


def split_of(doc_id: str) -> str:
    bucket = int(hashlib.sha256(doc_id.encode("utf-8")).hexdigest(), 16) % 100
    if bucket < 70:
        return "train"
    if bucket < 85:
        return "dev"
    return "test"


def read_changes(path: Path) -> dict[tuple[str, int], dict]:
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8", newline="") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    changes = {}
    for row in csv.DictReader(lines, delimiter="\t"):
        key = (row["doc"], int(row["i"]))
        if key in changes:
            raise SystemExit(f"CHANGES: sentence {key} changed twice")
        changes[key] = row
    return changes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=HERE / "data")
    args = parser.parse_args()

    sentences = defaultdict(list)
    with open(args.source / "sentences.jsonl", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            sentences[row["doc"]].append(row)

    with open(args.source / "PROVENANCE.tsv", encoding="utf-8", newline="") as fh:
        provenance = list(csv.DictReader(fh, delimiter="\t"))

    args.out.mkdir(parents=True, exist_ok=True)
    changes = read_changes(args.out / "CHANGES")
    applied = set()
    splits = {"train": [], "dev": [], "test": []}
    with open(args.out / "docs.jsonl", "w", encoding="utf-8") as out:
        for prov in sorted(provenance, key=lambda p: p["doc_id"]):
            doc_id = prov["doc_id"]
            text = (args.source / "docs" / f"{doc_id}.txt").read_text(encoding="utf-8")
            sents = []
            for row in sorted(sentences[doc_id], key=lambda r: r["i"]):
                assert text[row["start"]:row["end"]] == row["text"], (doc_id, row["i"])
                sent = {k: row[k] for k in ("i", "start", "end", "type", "label", "why", "labelled_by")}
                change = changes.get((doc_id, row["i"]))
                if change:
                    if (change["old"] or None) != row["label"]:
                        raise SystemExit(f"CHANGES: {doc_id} {row['i']} is {row['label']!r}, not {change['old']!r}")
                    sent.update(label=change["new"], why=change["reason"], changed_by=change["reviewer"])
                    if row["label"] is None:  # labelled in the review: its first reviewer labelled it
                        sent["labelled_by"] = change["reviewer"].split(";")[0].strip()
                    else:
                        sent["original_label"] = row["label"]
                    applied.add((doc_id, row["i"]))
                sents.append(sent)
            record = {"id": doc_id, "source": prov["source"], "text": text, "sentences": sents}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            splits[split_of(doc_id)].append(doc_id)

    missing = set(changes) - applied
    if missing:
        raise SystemExit(f"CHANGES: {len(missing)} rows match no sentence, e.g. {sorted(missing)[:3]}")
    # Who read each document whole in the corpus review (training/review/notes-*.md).
    with open(HERE / "review" / "assignments.tsv", encoding="utf-8", newline="") as fh:
        reviewed_by = {row["doc"]: row["reviewer"] for row in csv.DictReader(fh, delimiter="\t")}
    reviewers = defaultdict(set)
    for (doc_id, _), change in changes.items():
        reviewers[doc_id].add(change["reviewer"].split(";")[0].strip())
    # Who labelled each document again, blind, in the agreement study (training/review/agreement/).
    second_annotator = {}
    agreement_table = HERE / "review" / "agreement" / "labels.tsv"
    if agreement_table.is_file():
        with open(agreement_table, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                second_annotator[row["doc"]] = row["second_by"].split(" ")[0]

    with open(args.out / "provenance.tsv", "w", encoding="utf-8", newline="") as fh:
        fields = ["doc_id", "source", "title", "dateCreated", "sourceURL", "licence", "labelled_by", "reviewed_by",
                  "second_annotation"]
        writer = csv.DictWriter(fh, fieldnames=fields, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        for prov in sorted(provenance, key=lambda p: p["doc_id"]):
            annotators = sorted({s["labelled_by"] for s in sentences[prov["doc_id"]] if s["labelled_by"]})
            annotators = annotators or sorted(reviewers[prov["doc_id"]])
            writer.writerow({
                **{k: prov[k] for k in ("doc_id", "source", "title", "dateCreated", "sourceURL", "licence")},
                "labelled_by": ",".join(annotators) or "unlabelled",
                "reviewed_by": reviewed_by.get(prov["doc_id"], ""),
                "second_annotation": second_annotator.get(prov["doc_id"], ""),
            })

    (args.out / "splits.json").write_text(json.dumps(splits, indent=1) + "\n", encoding="utf-8")
    print({k: len(v) for k, v in splits.items()})


if __name__ == "__main__":
    main()
