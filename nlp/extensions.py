"""Doc/Span extensions written by claimlens components.

Registered once, idempotently, when a component module is imported. Everything a
component computes lives here so other components and the record writer read one place.
"""
from spacy.tokens import Doc, Span

SPAN_EXTENSIONS = {
    # Set by the segmenter.
    "skipped": None,  # str reason when the segment is not a claim (tag line, caption...)
    "quote": None,  # {"id": int, "speaker_tag": {"start", "end"} | None} when inside a quotation
    # Set by the entity/source components.
    "source": None,  # {"text", "type", "start", "end"} | None
    "entity_type": None,  # on entity spans: person, government, country, ...
    # Set by the claim classifier.
    "label": None,  # "reported_fact" | "attribution" | "speculation" | None when skipped
    "probs": None,  # {label: probability}
    "confidence": None,  # max(probs)
    "cues": None,  # [{"text", "type", "start", "end"}]
}

DOC_EXTENSIONS = {
    "quotes": None,  # [{"id", "start", "end", "speaker_tag": {...} | None}]
    "model": None,  # name-version of the classifier that labelled the doc
}


def register() -> None:
    for name, default in SPAN_EXTENSIONS.items():
        if not Span.has_extension(name):
            Span.set_extension(name, default=default)
    for name, default in DOC_EXTENSIONS.items():
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=default)


register()
