"""Copy the labelled Wikinews corpus from ``../shared`` into ``training/data``.

Run once by a maintainer (never at run time). Writes:

* ``training/data/docs.jsonl`` -- one document per line:
  ``{"id", "text", "source", "sentences": [{"i", "start", "end", "type", "label", "why", "labelled_by"}]}``
* ``training/data/provenance.tsv`` -- per document: id, source corpus, title, date, URL, licence.
* ``training/data/splits.json`` -- the fixed train/dev/test split by document.

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
    splits = {"train": [], "dev": [], "test": []}
    with open(args.out / "docs.jsonl", "w", encoding="utf-8") as out:
        for prov in sorted(provenance, key=lambda p: p["doc_id"]):
            doc_id = prov["doc_id"]
            text = (args.source / "docs" / f"{doc_id}.txt").read_text(encoding="utf-8")
            sents = []
            for row in sorted(sentences[doc_id], key=lambda r: r["i"]):
                assert text[row["start"]:row["end"]] == row["text"], (doc_id, row["i"])
                sents.append({k: row[k] for k in ("i", "start", "end", "type", "label", "why", "labelled_by")})
            record = {"id": doc_id, "source": prov["source"], "text": text, "sentences": sents}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            splits[split_of(doc_id)].append(doc_id)

    with open(args.out / "provenance.tsv", "w", encoding="utf-8", newline="") as fh:
        fields = ["doc_id", "source", "title", "dateCreated", "sourceURL", "licence", "labelled_by", "reviewed_by"]
        writer = csv.DictWriter(fh, fieldnames=fields, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        for prov in sorted(provenance, key=lambda p: p["doc_id"]):
            annotators = sorted({s["labelled_by"] for s in sentences[prov["doc_id"]] if s["labelled_by"]})
            writer.writerow({
                **{k: prov[k] for k in ("doc_id", "source", "title", "dateCreated", "sourceURL", "licence")},
                "labelled_by": ",".join(annotators) or "unlabelled",
                "reviewed_by": "",
            })

    (args.out / "splits.json").write_text(json.dumps(splits, indent=1) + "\n", encoding="utf-8")
    print({k: len(v) for k, v in splits.items()})


if __name__ == "__main__":
    main()
