"""Sentence features for the claim classifier.

A sentence reaches the scikit-learn pipeline as a plain ``dict`` (see ``sentence_input``):
the text and tokens plus what the spaCy components found (cues, quotation, source). The
same function builds it at training time (gold sentences) and at run time (segmented
sentences), so the model never sees features computed two different ways.

``SentenceFeatures`` turns those dicts into readable named features ("cue:hedge_modal",
"quote:inside", "w:reportedly") for a ``DictVectorizer``; the names are what reports show
when they explain a label.
"""
from __future__ import annotations

import re

from sklearn.base import BaseEstimator, TransformerMixin
from spacy.tokens import Span

from nlp.cues import Cue, cues_in

# A cue after one of these in the same comma-delimited chunk sits in a relative clause or
# a condition, which the label standard does not count as the main claim.
# Bump when sentence_input or sentence_features change what a trained model sees: a model
# records the version it was trained with and is refused by another (nlp.model_store.verify).
FEATURES_VERSION = 3

_RELATIVE = frozenset({"which", "who", "whom", "whose", "where"})
_CONDITIONAL = frozenset({"if", "unless", "whether"})
_CLAUSE_BREAK = frozenset({",", ";", ":", "(", ")", "—", "–"})
_QUOTE_CHARS = frozenset('"“”‘’«»')
_NEGATORS = frozenset({"not", "n't", "n’t", "never"})
_HEDGE_TYPES = frozenset({"hedge_modal", "hedge_verb", "hedge_adverb", "hedge_noun", "hedge_phrase"})
_ATTRIBUTION_TYPES = frozenset({"reporting_verb", "according_to", "evidential"})
_DIGITS = re.compile(r"\d")


def sentence_input(span: Span, cues: list[Cue], *, index: int, n_sentences: int) -> dict:
    """Everything the classifier needs to know about one sentence, as plain data."""
    quote = span._.quote
    source = span._.source
    speaker_tag = quote.get("speaker_tag") if quote else None
    return {
        "text": span.text.strip(),
        "tokens": [t.lower_ for t in span if not t.is_space],
        "cues": [
            {"text": c.text.lower(), "type": c.type, "token": c.token_start - span.start}
            for c in cues_in(span, cues)
        ],
        "in_quote": quote is not None,
        "speaker_tag_here": bool(
            speaker_tag and span.start_char <= speaker_tag["start"] and speaker_tag["end"] <= span.end_char
        ),
        "speaker_tag_elsewhere": bool(
            speaker_tag and not (span.start_char <= speaker_tag["start"] and speaker_tag["end"] <= span.end_char)
        ),
        "source_type": source["type"] if source else None,
        "index": index,
        "n_sentences": n_sentences,
    }


def _cue_scope(tokens: list[str], position: int) -> str:
    for tok in reversed(tokens[:position]):
        if tok in _CLAUSE_BREAK:
            break
        if tok in _RELATIVE:
            return "relative"
        if tok in _CONDITIONAL:
            return "conditional"
    return "main"


def _normalise(token: str) -> str:
    return _DIGITS.sub("0", token)


def _modal_reading(tokens: list[str], position: int, reported: bool) -> str | None:
    """Readings of a modal that the standard says are not hedges."""
    following = tokens[position + 1:position + 3]
    if any(tok in _NEGATORS for tok in following[:1]):
        return "negated"  # "could not leave": ability, mostly
    if tokens[position] == "would" and reported:
        return "reported_future"  # "said that X would ...": future-in-the-past of reported speech
    return None


def sentence_features(item: dict, *, word_weight: float = 1.0) -> dict[str, float]:
    tokens = item["tokens"]
    features: dict[str, float] = {"bias": 1.0}
    main_hedge = main_attribution = False
    reporting_seen = False
    for cue in item["cues"]:
        scope = _cue_scope(tokens, cue["token"])
        kind = cue["type"]
        features[f"cue:{kind}"] = 1.0
        features[f"cue:{kind}:{scope}"] = 1.0
        features[f"cue_word:{cue['text']}"] = 1.0
        if item["in_quote"]:
            features[f"cue:{kind}:in_quote"] = 1.0
        if kind == "hedge_modal":
            reading = _modal_reading(tokens, cue["token"], reporting_seen)
            if reading:
                features[f"cue:hedge_modal:{reading}"] = 1.0
                continue
        if kind in _ATTRIBUTION_TYPES:
            reporting_seen = True
            main_attribution = main_attribution or scope == "main"
        if kind in _HEDGE_TYPES and scope == "main":
            main_hedge = True
    # The standard's precedence: a hedge on the main claim wins over attribution.
    if main_hedge:
        features["rule:hedged+attributed" if main_attribution or item["in_quote"] else "rule:hedged"] = 1.0
    elif main_attribution or item["in_quote"]:
        features["rule:attributed"] = 1.0
    if item["in_quote"]:
        features["quote:inside"] = 1.0
    if item["speaker_tag_here"]:
        features["quote:speaker_tag_here"] = 1.0
    if item["speaker_tag_elsewhere"]:
        features["quote:speaker_tag_elsewhere"] = 1.0
    if any(ch in _QUOTE_CHARS for ch in item["text"]):
        features["quote:marks"] = 1.0
    if item["source_type"]:
        features["source:present"] = 1.0
        features[f"source:{item['source_type']}"] = 1.0
    if item["index"] == 0 and item["n_sentences"] > 1:  # a lone imported sentence is no headline
        features["position:first"] = 1.0
    text = item["text"]
    if text.endswith("?"):
        features["punct:question"] = 1.0
    if text.endswith("!"):
        features["punct:exclamation"] = 1.0
    n = len(tokens)
    features["length:" + ("short" if n < 8 else "medium" if n < 25 else "long")] = 1.0
    for token in tokens:
        features[f"w:{_normalise(token)}"] = word_weight
    return features


class SentenceFeatures(TransformerMixin, BaseEstimator):
    """Stateless: sentence input dicts → feature dicts (for a DictVectorizer).

    ``word_weight`` scales the bag-of-words features against the cue, quotation and
    source features: with thousands of words and a few dozen cues, equal weights let
    topical words drown the cues that the label standard is about.
    """

    def __init__(self, word_weight: float = 0.3):
        self.word_weight = word_weight

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return [sentence_features(item, word_weight=self.word_weight) for item in X]
