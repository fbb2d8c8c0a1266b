"""The output record: one JSON object per segment, in document order.

This is a contract other tools rely on; see the README ("Output record").
"""
from __future__ import annotations

from spacy.tokens import Doc, Span

RECORD_FIELDS = (
    "doc_id", "index", "start", "end", "text", "label", "skipped", "confidence",
    "probs", "cues", "source", "entities", "quote", "model",
)


def _trimmed_bounds(sent: Span) -> tuple[int, int, str]:
    # From the span's own text: Doc.text rebuilds the whole document on every access.
    text = sent.text
    stripped = text.strip()
    start = sent.start_char + (len(text) - len(text.lstrip()))
    return start, start + len(stripped), stripped


def sentence_record(doc_id: str, index: int, sent: Span, model: str | None) -> dict:
    start, end, text = _trimmed_bounds(sent)
    return {
        "doc_id": doc_id,
        "index": index,
        "start": start,
        "end": end,
        "text": text,
        "label": None if sent._.skipped else sent._.label,
        "skipped": sent._.skipped,
        "confidence": None if sent._.skipped else sent._.confidence,
        "probs": None if sent._.skipped else sent._.probs,
        "cues": sent._.cues or [],
        "source": sent._.source,
        "entities": [
            {
                "text": ent.text,
                "label": ent.label_,
                "type": ent._.entity_type,
                "id": ent.ent_id_ or None,
                "start": ent.start_char,
                "end": ent.end_char,
            }
            for ent in sent.ents
        ],
        "quote": sent._.quote,
        "model": model,
    }


def doc_records(doc_id: str, doc: Doc, offset: int = 0) -> list[dict]:
    """Records for every non-blank segment; ``offset`` shifts positions for a document piece."""
    records = []
    for sent in doc.sents:
        if not sent.text.strip():
            continue
        record = sentence_record(doc_id, len(records), sent, doc._.model)
        records.append(record)
    if offset:
        for record in records:
            _shift(record, offset)
    return records


def _shift(record: dict, offset: int) -> None:
    record["start"] += offset
    record["end"] += offset
    for item in record["cues"] + record["entities"] + ([record["source"]] if record["source"] else []):
        item["start"] += offset
        item["end"] += offset
    quote = record["quote"]
    if quote and quote.get("speaker_tag"):
        quote["speaker_tag"] = {
            "start": quote["speaker_tag"]["start"] + offset,
            "end": quote["speaker_tag"]["end"] + offset,
        }
