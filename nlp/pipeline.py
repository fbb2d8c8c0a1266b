"""Assembling and loading the claimlens spaCy pipeline.

Built on ``spacy.blank("en")`` plus our own components and data only: nothing is
downloaded. Nothing is built at import time; call ``load`` or ``build``.
"""
from __future__ import annotations

import bisect
from pathlib import Path
from typing import Iterable

import spacy
from spacy.language import Language
from spacy.tokens import Doc

import nlp.classifier  # noqa: F401  (registers the factories)
import nlp.entities  # noqa: F401
import nlp.segmentation  # noqa: F401
import nlp.sources  # noqa: F401
from nlp.model_store import load_model

SEGMENTER = "claimlens_segmenter"
ENTITIES = "claimlens_entities"
SOURCES = "claimlens_sources"
CLASSIFIER = "claimlens_classifier"


def build(*, sources: bool = True, classifier: bool = True) -> Language:
    """A pipeline with fresh components (the classifier without a model).

    ``sources=False`` stops after the entity ruler (what ``claimlens entities`` needs); the
    classifier needs the sources, so it is left out too.
    """
    pipeline = spacy.blank("en")
    pipeline.add_pipe(SEGMENTER)
    pipeline.add_pipe(ENTITIES)
    if not sources:
        return pipeline
    pipeline.add_pipe(SOURCES)
    if classifier:
        pipeline.add_pipe(CLASSIFIER)
    return pipeline


def load(model: str | Path | None = None) -> Language:
    """The full pipeline with a verified trained model (default model when ``model`` is None)."""
    estimator, meta, _ = load_model(model)
    pipeline = build()
    pipeline.get_pipe(CLASSIFIER).use(estimator, meta)
    return pipeline


def annotate_gold(pipeline: Language, text: str, sentences: Iterable[tuple[int, int]]) -> Doc:
    """Run the pipeline (without the classifier) on ``text`` with the given sentence boundaries.

    Used for training and evaluation on gold sentences. The segmenter still runs first so
    quotation tracking sees the text exactly as at run time; each gold sentence then takes
    the quotation of the predicted sentence it overlaps most.
    """
    doc = pipeline.make_doc(text)
    doc = pipeline.get_pipe(SEGMENTER)(doc)
    predicted = [(s.start_char, s.end_char, s._.quote) for s in doc.sents]
    token_starts = [token.idx for token in doc]
    for token in doc:
        token.is_sent_start = token.i == 0
    for start, _ in sentences:
        # The first token at or after the gold start opens the sentence.
        i = bisect.bisect_left(token_starts, start)
        if 0 < i < len(doc):
            doc[i].is_sent_start = True
    for sent in doc.sents:
        sent._.skipped = None
        best, best_overlap = None, 0
        for start, end, quote in predicted:
            overlap = min(end, sent.end_char) - max(start, sent.start_char)
            if overlap > best_overlap:
                best, best_overlap = quote, overlap
        sent._.quote = best
    for name, component in pipeline.pipeline:
        if name in (SEGMENTER, CLASSIFIER):
            continue
        doc = component(doc)
    return doc
