"""The claim classifier as a spaCy component wrapping a scikit-learn ``Pipeline``."""
from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
from sklearn.feature_extraction import DictVectorizer
from spacy.language import Language
from spacy.tokens import Doc

from nlp import LABELS, extensions  # noqa: F401  (registers extensions)
from nlp.cues import cue_finder_for, cues_by_span
from nlp.errors import ModelError
from nlp.extensions import set_span_values, span_values
from nlp.features import SentenceFeatures, sentence_inputs_of, vectorize
from nlp.model_store import load_model, save_model


def sentence_inputs(doc: Doc, cues=None) -> tuple[list, list[dict]]:
    """The doc's sentences and the classifier inputs of those that are claims (not skipped)."""
    cues = cue_finder_for(doc.vocab).find(doc) if cues is None else cues
    sentences = list(doc.sents)
    found = cues_by_span(sentences, cues)
    set_span_values(doc, sentences, "cues", [[c.as_record() for c in inside] for inside in found])
    claim_indices = [i for i, skipped in enumerate(span_values(doc, sentences, "skipped")) if not skipped]
    claims = [sentences[i] for i in claim_indices]
    inputs = sentence_inputs_of(doc, claims, [found[i] for i in claim_indices], indices=claim_indices,
                                n_sentences=len(sentences))
    return claims, inputs


class ClaimClassifier:
    def __init__(self, pipeline: Language, name: str = "claimlens_classifier", *, batch_size: int = 64):
        self.name = name
        self.vocab = pipeline.vocab
        self.batch_size = batch_size
        self.estimator = None
        self.meta: dict = {}
        self._steps = None

    def use(self, estimator, meta: dict) -> "ClaimClassifier":
        classes = tuple(getattr(estimator, "classes_", ()))
        if sorted(classes) != sorted(LABELS):
            raise ModelError(f"model predicts {list(classes)}, expected the labels {list(LABELS)}")
        self.estimator = estimator
        self.meta = meta
        self._steps = _feature_steps(estimator)
        # Column order of predict_proba, mapped to our fixed label order once.
        self._columns = [classes.index(label) for label in LABELS]
        return self

    @property
    def model_name(self) -> str | None:
        if not self.meta:
            return None
        return f"{self.meta.get('name')}-{self.meta.get('version')}"

    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Doc], batch_size: int | None = None) -> Iterator[Doc]:
        size = batch_size or self.batch_size
        docs = iter(docs)
        while batch := list(islice(docs, size)):
            per_doc = [sentence_inputs(doc) for doc in batch]
            probs = self.predict([item for _, inputs in per_doc for item in inputs])
            offset = 0
            for doc, (claims, _) in zip(batch, per_doc):
                self.set_annotations(doc, claims, probs[offset:offset + len(claims)])
                offset += len(claims)
                yield doc

    def predict(self, inputs: list[dict]) -> np.ndarray:
        if self.estimator is None:
            raise ModelError("the claim classifier has no model (load one with nlp.pipeline.load)")
        if not inputs:
            return np.zeros((0, len(LABELS)))
        if self._steps is None:
            return self.estimator.predict_proba(inputs)[:, self._columns]
        features, vectorizer, final = self._steps
        return final.predict_proba(vectorize(features.transform(inputs), vectorizer))[:, self._columns]

    def set_annotations(self, doc: Doc, claims: list, probs: np.ndarray) -> None:
        doc._.model = self.model_name
        best = probs.argmax(axis=1).tolist() if len(probs) else []
        rows = probs.tolist()
        set_span_values(doc, claims, "label", [LABELS[i] for i in best])
        set_span_values(doc, claims, "probs", [dict(zip(LABELS, row)) for row in rows])
        set_span_values(doc, claims, "confidence", [row[i] for row, i in zip(rows, best)])

    def to_disk(self, path: Path, *, exclude=()) -> None:
        save_model(self.estimator, self.meta, Path(path))

    def from_disk(self, path: Path, *, exclude=()) -> "ClaimClassifier":
        estimator, meta, _ = load_model(Path(path))
        return self.use(estimator, meta)


def _feature_steps(estimator):
    """(features, vectorizer, classifier) of a ``SentenceFeatures → DictVectorizer → classifier`` Pipeline.

    ``predict`` then vectorizes with ``nlp.features.vectorize`` (the same matrix as the
    Pipeline's own ``DictVectorizer.transform``, faster); any other estimator is used as is.
    """
    steps = [step for _, step in getattr(estimator, "steps", [])]
    if len(steps) == 3 and type(steps[0]) is SentenceFeatures and type(steps[1]) is DictVectorizer:
        return tuple(steps)
    return None


@Language.factory("claimlens_classifier", default_config={"batch_size": 64})
def make_classifier(nlp: Language, name: str, batch_size: int) -> ClaimClassifier:
    return ClaimClassifier(nlp, name, batch_size=batch_size)
