"""Sentence segmentation (placeholder: newline + terminal punctuation; issue 3 makes it news-grade).

Interface (kept stable for the rest of the pipeline):
* factory ``claimlens_segmenter`` sets ``token.is_sent_start`` on every token;
* every sentence span gets ``span._.skipped`` (reason or None) and ``span._.quote``;
* ``doc._.quotes`` lists the quotations.
"""
from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc

from nlp import extensions  # noqa: F401  (registers extensions)

_TERMINAL = {".", "!", "?"}
_TAG_LINE = re.compile(r"^[\w' -]+(, [\w' -]+){2,}$")
_CREDIT = re.compile(r"^/?\s*(photo|image|credit|source)s?\s*:", re.I)
_NAVIGATION = re.compile(r"^(read in \w+|share this|related articles?|advertisement)$", re.I)
_DATELINE = re.compile(
    r"^(monday|tuesday|wednesday|thursday|friday|saturday|sunday),\s+\w+\s+\d{1,2},\s+\d{4}$", re.I
)


class NewsSegmenter:
    def __init__(self, pipeline: Language, name: str = "claimlens_segmenter"):
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        starts = self.predict(doc)
        self.set_annotations(doc, starts)
        return doc

    def predict(self, doc: Doc) -> list[bool]:
        starts = [False] * len(doc)
        new_sentence = True
        for i, token in enumerate(doc):
            if token.is_space and "\n" in token.text:
                new_sentence = True
                starts[i] = False if i else True
                continue
            if token.text == "/" and i + 1 < len(doc) and doc[i + 1].lower_ in {"photo", "image"}:
                new_sentence = True
            if new_sentence:
                starts[i] = True
                new_sentence = False
            if token.text in _TERMINAL:
                nxt = doc[i + 1] if i + 1 < len(doc) else None
                if nxt is not None and (nxt.is_space or nxt.is_quote):
                    continue
                new_sentence = True
            elif token.is_quote and i > 0 and doc[i - 1].text in _TERMINAL:
                new_sentence = True
        if starts:
            starts[0] = True
        return starts

    def set_annotations(self, doc: Doc, starts: list[bool]) -> None:
        for token, start in zip(doc, starts):
            token.is_sent_start = start
        doc._.quotes = []
        for sent in doc.sents:
            sent._.skipped = skip_reason(sent.text.strip())


def skip_reason(text: str) -> str | None:
    if not text:
        return "empty"
    if _CREDIT.match(text):
        return "photo credit"
    if _NAVIGATION.match(text):
        return "navigation"
    if _DATELINE.match(text):
        return "dateline"
    if _TAG_LINE.match(text) and text == text.lower():
        return "tag line"
    return None


@Language.factory("claimlens_segmenter", default_config={})
def make_segmenter(nlp: Language, name: str) -> NewsSegmenter:
    return NewsSegmenter(nlp, name)
