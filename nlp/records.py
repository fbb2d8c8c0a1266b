"""The output record: one JSON object per segment, in document order.

This is a contract other tools rely on; see the README ("Output record").
"""
from __future__ import annotations

import bisect

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


def sentence_record(doc_id: str, index: int, sent: Span, model: str | None, ents: list[Span] | None = None) -> dict:
    """``ents``: the sentence's entities when the caller has them (``Span.ents`` scans the whole doc)."""
    start, end, text = _trimmed_bounds(sent)
    ext = sent._
    skipped = ext.skipped
    return {
        "doc_id": doc_id,
        "index": index,
        "start": start,
        "end": end,
        "text": text,
        "label": None if skipped else ext.label,
        "skipped": skipped,
        "confidence": None if skipped else ext.confidence,
        "probs": None if skipped else ext.probs,
        "cues": ext.cues or [],
        "source": ext.source,
        "entities": [
            {
                "text": ent.text,
                "label": ent.label_,
                "type": ent._.entity_type,
                "id": ent.ent_id_ or None,
                "start": ent.start_char,
                "end": ent.end_char,
            }
            for ent in (sent.ents if ents is None else ents)
        ],
        "quote": ext.quote,
        "model": model,
    }


def doc_records(doc_id: str, doc: Doc, offset: int = 0) -> list[dict]:
    """Records for every non-blank segment; ``offset`` shifts positions for a document piece."""
    records = []
    model = doc._.model
    # Entities are sorted and do not overlap: walk them alongside the sentences once.
    ents = list(doc.ents)
    starts = [ent.start for ent in ents]
    for sent in doc.sents:
        if not sent.text.strip():
            continue
        i = bisect.bisect_left(starts, sent.start)
        inside = []
        while i < len(ents) and ents[i].end <= sent.end:
            inside.append(ents[i])
            i += 1
        records.append(sentence_record(doc_id, len(records), sent, model, inside))
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
