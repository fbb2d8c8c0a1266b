"""The output record: one JSON object per segment, in document order.

This is a contract other tools rely on; see the README ("Output record").
"""
from __future__ import annotations

import bisect

from spacy.tokens import Doc, Span

from nlp.doc_strings import doc_text
from nlp.extensions import span_values

RECORD_FIELDS = (
    "doc_id", "index", "start", "end", "text", "label", "skipped", "confidence",
    "probs", "cues", "source", "entities", "quote", "model",
)


_FROM_SPAN = ("skipped", "label", "confidence", "probs", "cues", "source", "quote")


def _trimmed_bounds(text: str, start_char: int, end_char: int) -> tuple[int, int, str]:
    """The segment without surrounding whitespace: (start, end, text); ``text`` is the doc's text."""
    raw = text[start_char:end_char]
    stripped = raw.strip()
    start = start_char + (len(raw) - len(raw.lstrip()))
    return start, start + len(stripped), stripped


def _record(doc_id: str, index: int, bounds: tuple[int, int, str], ext: dict, model: str | None,
            entities: list[dict]) -> dict:
    start, end, text = bounds
    skipped = ext["skipped"]
    return {
        "doc_id": doc_id,
        "index": index,
        "start": start,
        "end": end,
        "text": text,
        "label": None if skipped else ext["label"],
        "skipped": skipped,
        "confidence": None if skipped else ext["confidence"],
        "probs": None if skipped else ext["probs"],
        "cues": ext["cues"] or [],
        "source": ext["source"],
        "entities": entities,
        "quote": ext["quote"],
        "model": model,
    }


def _entity_records(doc: Doc, ents: list[Span], text: str) -> list[dict]:
    types = span_values(doc, ents, "entity_type")
    return [
        {
            "text": text[ent.start_char:ent.end_char],
            "label": ent.label_,
            "type": entity_type,
            "id": ent.ent_id_ or None,
            "start": ent.start_char,
            "end": ent.end_char,
        }
        for ent, entity_type in zip(ents, types)
    ]


def sentence_record(doc_id: str, index: int, sent: Span, model: str | None, ents: list[Span] | None = None) -> dict:
    """``ents``: the sentence's entities when the caller has them (``Span.ents`` scans the whole doc)."""
    doc = sent.doc
    text = doc_text(doc)
    ext = {name: span_values(doc, [sent], name)[0] for name in _FROM_SPAN}
    ents = list(sent.ents if ents is None else ents)
    return _record(doc_id, index, _trimmed_bounds(text, sent.start_char, sent.end_char), ext, model,
                   _entity_records(doc, ents, text))


def doc_records(doc_id: str, doc: Doc, offset: int = 0) -> list[dict]:
    """Records for every non-blank segment; ``offset`` shifts positions for a document piece."""
    model = doc._.model
    # Read once per doc: Doc.text, Span.text and span._ rebuild strings and objects on every access.
    text = doc_text(doc)
    sents = list(doc.sents)
    bounds = [_trimmed_bounds(text, sent.start_char, sent.end_char) for sent in sents]
    kept = [i for i, (_, _, stripped) in enumerate(bounds) if stripped]
    sents = [sents[i] for i in kept]
    columns = [span_values(doc, sents, name) for name in _FROM_SPAN]
    # Entities are sorted and do not overlap: walk them alongside the sentences once.
    ents = list(doc.ents)
    entities = _entity_records(doc, ents, text)
    starts = [ent.start for ent in ents]
    records = []
    for sent, i, values in zip(sents, kept, zip(*columns)):
        j = bisect.bisect_left(starts, sent.start)
        first = j
        while j < len(ents) and ents[j].end <= sent.end:
            j += 1
        records.append(_record(doc_id, len(records), bounds[i], dict(zip(_FROM_SPAN, values)), model,
                               entities[first:j]))
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
