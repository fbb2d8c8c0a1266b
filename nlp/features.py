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
from itertools import accumulate, chain, repeat
from operator import is_not

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction import DictVectorizer
from spacy.tokens import Doc, Span

from nlp.cues import Cue, cue_context, cues_in
from nlp.doc_strings import doc_text, lower_words
from nlp.extensions import span_values

# Bump when sentence_input, sentence_features or the cue lexicon change what a trained model sees: a model
# records the version it was trained with and is refused by another (nlp.model_store.verify).
FEATURES_VERSION = 9

_CLAUSE_BREAK = frozenset({",", ";", ":", "(", ")", "—", "–"})
_QUOTE_CHARS = frozenset('"“”‘’«»')
_QUOTE_MARKS = re.compile("[" + re.escape("".join(sorted(_QUOTE_CHARS))) + "]")  # one C scan of the text
# Closed-class words for ``_hedge_verb_use``.
_NEGATORS = frozenset({"not", "n't", "n’t", "never"})
_HEDGE_TYPES = frozenset({"hedge_modal", "hedge_verb", "hedge_adverb", "hedge_noun", "hedge_phrase"})
_ATTRIBUTION_TYPES = frozenset({"reporting_verb", "according_to", "evidential"})
_DIGITS = re.compile(r"\d")


def sentence_input(span: Span, cues: list[Cue], *, index: int, n_sentences: int) -> dict:
    """Everything the classifier needs to know about one sentence, as plain data.

    Reads the whole doc's words: for many sentences of a doc, call ``sentence_inputs_of`` once.
    """
    return sentence_inputs_of(span.doc, [span], [cues_in(span, cues)], indices=[index], n_sentences=n_sentences)[0]


def sentence_inputs_of(doc: Doc, spans: list[Span], cues: list[list[Cue]], *, indices: list[int],
                       n_sentences: int) -> list[dict]:
    """``sentence_input`` for several spans of one doc; ``cues[i]``: the cues inside ``spans[i]``.

    The doc's text, words and extensions are read once for all spans: ``Doc.text`` rebuilds
    the text on every access and iterating a span makes a Token per word, which cost more
    than the classifier itself when done sentence by sentence.
    """
    text = doc_text(doc)
    words = lower_words(doc)
    # A cue's position is counted in "tokens", which leaves whitespace tokens out.
    words_before = list(accumulate(map(is_not, words, repeat(None)), initial=0))
    quotes = span_values(doc, spans, "quote")
    sources = span_values(doc, spans, "source")
    inputs = []
    for span, found, index, quote, source in zip(spans, cues, indices, quotes, sources):
        start, start_char, end_char = span.start, span.start_char, span.end_char
        speaker_tag = quote.get("speaker_tag") if quote else None
        tag_here = bool(speaker_tag) and start_char <= speaker_tag["start"] and speaker_tag["end"] <= end_char
        inputs.append({
            "text": text[start_char:end_char].strip(),
            "tokens": list(filter(None, words[start:span.end])),  # None: a whitespace token
            "cues": [{"text": c.text.lower(), "type": c.type,
                      "token": words_before[c.token_start] - words_before[start]} for c in found],
            "in_quote": quote is not None,
            "speaker_tag_here": tag_here,
            "speaker_tag_elsewhere": bool(speaker_tag) and not tag_here,
            "source_type": source["type"] if source else None,
            "index": index,
            "n_sentences": n_sentences,
        })
    return inputs


class _WordFeatures(dict):
    """Token → its bag-of-words feature name ("w:" + digits as 0); emptied when full, so memory stays flat."""

    LIMIT = 50_000

    def __missing__(self, token: str) -> str:
        if len(self) > self.LIMIT:
            self.clear()
        name = self[token] = "w:" + _DIGITS.sub("0", token)
        return name


_WORD_FEATURES = _WordFeatures()


def _cue_scope(tokens: list[str], position: int) -> str:
    """Where a cue sits: "relative", "conditional" or "subordinate" when a word of that kind opens
    its comma-delimited chunk before it (the standard counts only the main clause), else "main"."""
    words = cue_context()
    for tok in reversed(tokens[:position]):
        if tok in _CLAUSE_BREAK:
            break
        if tok in words["relatives"]:
            return "relative"
        if tok in words["conditionals"]:
            return "conditional"
        if tok in words["subordinators"]:  # "though speculation has been raised", "hours after X announced"
            return "subordinate"
    return "main"


def _hedge_verb_use(tokens: list[str], position: int) -> str | None:
    """Uses of a hedge verb that do not hedge the main claim, or None.

    * "modifier": a noun or adjective use — "suspected plane debris", "an estimated six million",
      "in the hope of", "His fears", "The fragment, suspected to be from a wing, ..." — an aside,
      which the standard does not count ("The debris, suspected to be from a wing, washed ashore"
      is reported_fact);
    * "comparison": "worse than expected", "more than previously thought" state a fact.
    """
    words = cue_context()
    before = position - 1
    while before >= 0 and tokens[before] in words["adverbs_before_participle"]:
        before -= 1  # "the widely expected", "than previously thought"
    previous = tokens[before] if before >= 0 else None
    if previous == "than":
        return "comparison"
    # Determiners only: words that cannot be the subject themselves ("Some believe", "This
    # suggests" are hedges; "The family believes" is one too, so no "-ly" word is skipped).
    if previous in words["determiners"]:
        return "modifier"
    following = tokens[position + 1] if position + 1 < len(tokens) else None
    # Set off by a comma or bracket only: "Prices expected to rise" (a headline) is a prediction.
    if tokens[position].endswith("ed") and following == "to" and previous in {",", "("}:
        return "modifier"
    return None


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
    # The words first: the dict is built in C from the cached names ("w:..."), and the few other
    # features go into it, rather than merging it into theirs (key order means nothing here).
    features: dict[str, float] = dict.fromkeys(map(_WORD_FEATURES.__getitem__, tokens), word_weight)
    features["bias"] = 1.0
    main_hedge = main_attribution = False
    reporting_seen = False
    for cue in item["cues"]:
        scope = _cue_scope(tokens, cue["token"])
        kind = cue["type"]
        if kind == "hedge_verb" and scope == "main":
            scope = _hedge_verb_use(tokens, cue["token"]) or scope
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
    if _QUOTE_MARKS.search(item["text"]):
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


def vectorize(feature_dicts: list[dict], vectorizer: DictVectorizer):
    """``vectorizer.transform(feature_dicts)``, the same sparse matrix, several times faster.

    ``DictVectorizer.transform`` checks each value's type in Python; ``SentenceFeatures`` only
    makes numbers, so the lookups are done in bulk here. Anything else (string or missing
    values, a dense or unfitted vectorizer, no rows) goes to ``transform`` itself.
    """
    if not feature_dicts or not getattr(vectorizer, "sparse", False) or not hasattr(vectorizer, "vocabulary_"):
        return vectorizer.transform(feature_dicts)
    try:
        values = np.array(list(chain.from_iterable(x.values() for x in feature_dicts)))
    except (TypeError, ValueError):  # ragged iterables
        return vectorizer.transform(feature_dicts)
    if values.ndim != 1 or values.dtype.kind not in "biuf":
        return vectorizer.transform(feature_dicts)
    columns = np.fromiter(map(vectorizer.vocabulary_.get, chain.from_iterable(feature_dicts), repeat(-1)),
                          dtype=np.intp, count=len(values))
    known = columns >= 0
    # Row i's features are entries ends[i-1]:ends[i] of the flat lists; count the known ones.
    ends = np.cumsum([len(x) for x in feature_dicts])
    kept = np.concatenate([[0], np.cumsum(known)])
    indptr = np.concatenate([[0], kept[ends]])
    matrix = sp.csr_array(
        (values[known].astype(vectorizer.dtype), columns[known].astype(np.intc), indptr),
        shape=(len(feature_dicts), len(vectorizer.vocabulary_)), dtype=vectorizer.dtype,
    )
    matrix.sort_indices()
    if sklearn.get_config().get("sparse_interface") == "spmatrix":
        return sp.csr_matrix(matrix)
    return matrix
