"""Doc/Span extensions written by claimlens components.

Registered once, idempotently, when a component module is imported. Everything a
component computes lives here so other components and the record writer read one place.
"""
from spacy.tokens import Doc, Span
from spacy.tokens.underscore import Underscore

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


def _keys_ok() -> bool:
    """Does spaCy keep span extension values in ``doc.user_data`` under ("._.", name, start_char, end_char)?"""
    from spacy.vocab import Vocab

    doc = Doc(Vocab(), words=["a", "b", "c"], spaces=[True, True, False])
    doc.user_data[("._.", "skipped", 2, 5)] = "probe"
    Span(doc, 0, 1)._.label = "written"
    return Span(doc, 1, 3)._.skipped == "probe" and doc.user_data.get(("._.", "label", 0, 1)) == "written"


def _plain(name: str) -> bool:
    """A span extension stored in ``doc.user_data`` under spaCy's key, with an immutable default."""
    if not _KEYS_OK or name not in Underscore.span_extensions:
        return False  # span._ raises the error
    default, method, getter, setter = Underscore.span_extensions[name]
    return method is None and getter is None and setter is None and not isinstance(default, Underscore.mutable_types)


def span_values(doc: Doc, spans, name: str) -> list:
    """``[span._.<name> for span in spans]`` without building an ``Underscore`` per span.

    Components read and write a few extensions on every sentence; going through ``span._``
    costs more than the classifier's arithmetic. Same key as spaCy's ``Underscore._get_key``
    (tests check the two agree); anything but a plain value falls back to ``span._``.
    """
    if not _plain(name):
        return [getattr(span._, name) for span in spans]
    default = Underscore.span_extensions[name][0]
    data = doc.user_data
    return [data.get(("._.", name, span.start_char, span.end_char), default) for span in spans]


def set_span_values(doc: Doc, spans, name: str, values) -> None:
    """``span._.<name> = value`` for each span and value, like ``span_values``."""
    if not _plain(name):
        for span, value in zip(spans, values):
            setattr(span._, name, value)
        return
    data = doc.user_data
    for span, value in zip(spans, values):
        data[("._.", name, span.start_char, span.end_char)] = value


def set_span_values_at(doc: Doc, name: str, bounds, values) -> None:
    """``set_span_values`` for spans given as (start_char, end_char) pairs: no Span objects needed."""
    if not _plain(name):
        set_span_values(doc, [doc.char_span(start, end) for start, end in bounds], name, values)
        return
    data = doc.user_data
    for (start, end), value in zip(bounds, values):
        data[("._.", name, start, end)] = value


register()
_KEYS_OK = _keys_ok()
