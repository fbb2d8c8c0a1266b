"""The classifier's and records' fast paths give exactly what the straightforward code gives.

Each fast path (bulk extension reads, cached doc text, cues per sentence in one walk, the bulk
vectorizer, doc-level sentence inputs and records) is checked against a plain reference
written the obvious way, on table cases and on arbitrary text (Hypothesis).
"""
from __future__ import annotations

import bisect

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction import DictVectorizer
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from nlp.classifier import sentence_inputs
from nlp.cues import Cue, _is_month, cues_by_span, cues_in
from nlp.doc_strings import TEXT_KEY, doc_text, lower_words
from nlp.extensions import set_span_values, span_values
from nlp.features import sentence_features, vectorize
from nlp.records import doc_records
from strategies import news_text



# --- references: the obvious per-span code the fast paths replace -------------------------------

def reference_inputs(doc: Doc) -> tuple[list[tuple[int, int]], list[dict], list[list[dict]]]:
    from nlp.cues import cue_finder_for

    cues = cue_finder_for(doc.vocab).find(doc)
    sentences = list(doc.sents)
    claims, inputs, cue_records = [], [], []
    for index, span in enumerate(sentences):
        cue_records.append([c.as_record() for c in cues_in(span, cues)])
        if span._.skipped:
            continue
        quote, source = span._.quote, span._.source
        tag = quote.get("speaker_tag") if quote else None
        inside = bool(tag and span.start_char <= tag["start"] and tag["end"] <= span.end_char)
        claims.append((span.start, span.end))
        inputs.append({
            "text": span.text.strip(),
            "tokens": [t.lower_ for t in span if not t.is_space],
            "cues": [{"text": c.text.lower(), "type": c.type,
                      "token": sum(1 for t in span.doc[span.start:c.token_start] if not t.is_space)}
                     for c in cues_in(span, cues)],
            "in_quote": quote is not None,
            "speaker_tag_here": inside,
            "speaker_tag_elsewhere": bool(tag and not inside),
            "source_type": source["type"] if source else None,
            "index": index,
            "n_sentences": len(sentences),
        })
    return claims, inputs, cue_records


def reference_records(doc_id: str, doc: Doc) -> list[dict]:
    records = []
    for sent in doc.sents:
        text = sent.text
        if not text.strip():
            continue
        start = sent.start_char + len(text) - len(text.lstrip())
        skipped = sent._.skipped
        records.append({
            "doc_id": doc_id, "index": len(records), "start": start, "end": start + len(text.strip()),
            "text": text.strip(), "label": None if skipped else sent._.label, "skipped": skipped,
            "confidence": None if skipped else sent._.confidence, "probs": None if skipped else sent._.probs,
            "cues": sent._.cues or [], "source": sent._.source,
            "entities": [{"text": e.text, "label": e.label_, "type": e._.entity_type, "id": e.ent_id_ or None,
                          "start": e.start_char, "end": e.end_char} for e in sent.ents],
            "quote": sent._.quote, "model": doc._.model,
        })
    return records


# --- doc-level sentence inputs and records ------------------------------------------------------

@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=news_text)
def test_sentence_inputs_match_the_per_span_reference(pipeline, text):
    doc = pipeline.make_doc(text)
    for name, component in pipeline.pipeline:
        if name != "claimlens_classifier":
            doc = component(doc)
    claims, inputs, cue_records = reference_inputs(doc)
    got_claims, got_inputs = sentence_inputs(doc)
    assert [(s.start, s.end) for s in got_claims] == claims
    assert got_inputs == inputs
    assert [s._.cues for s in doc.sents] == cue_records


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=news_text, offset=st.sampled_from([0, 7]))
def test_doc_records_match_the_per_span_reference(pipeline, text, offset):
    doc = pipeline(text)
    expected = reference_records("d", doc)
    for record in expected:
        record["start"] += offset
        record["end"] += offset
    got = doc_records("d", doc, offset)
    assert [(r["start"], r["end"], r["text"], r["label"], r["probs"], r["entities"]) for r in got] == \
        [(r["start"], r["end"], r["text"], r["label"], r["probs"],
          [{**e, "start": e["start"] + offset, "end": e["end"] + offset} for e in r["entities"]]) for r in expected]
    if not offset:
        assert got == expected


@pytest.mark.parametrize("text", [" MAY", "It  may rain.\n", "It may rain.", "\n\n  We  could   not\tgo."])
def test_cue_positions_skip_whitespace_tokens(pipeline, text):
    doc = pipeline.make_doc(text)
    for name, component in pipeline.pipeline:
        if name != "claimlens_classifier":
            doc = component(doc)
    for item in sentence_inputs(doc)[1]:
        for cue in item["cues"]:
            assert item["tokens"][cue["token"]] == cue["text"].split()[0]


def test_seed_inputs_and_records_match_the_reference(pipeline, seed_text):
    doc = pipeline(seed_text)
    assert doc_records("seed", doc) == reference_records("seed", doc)
    assert sentence_inputs(doc)[1] == reference_inputs(doc)[1]


# --- the classifier's fast prediction -----------------------------------------------------------

def test_fast_predict_equals_the_sklearn_pipeline(pipeline, seed_text):
    classifier = pipeline.get_pipe("claimlens_classifier")
    assert classifier._steps is not None  # the committed model takes the fast path
    _, inputs = sentence_inputs(pipeline(seed_text))
    expected = classifier.estimator.predict_proba(inputs)[:, classifier._columns]
    np.testing.assert_array_equal(classifier.predict(inputs), expected)


def test_other_estimators_are_used_as_they_are(pipeline, seed_text):
    from sklearn.pipeline import Pipeline

    from nlp.classifier import ClaimClassifier

    committed = pipeline.get_pipe("claimlens_classifier").estimator
    # Same steps, but not the three-step shape the fast path knows: predict_proba is called as is.
    wrapped = Pipeline([("model", committed)])
    classifier = ClaimClassifier(pipeline).use(wrapped, {"name": "x", "version": 1})
    assert classifier._steps is None
    _, inputs = sentence_inputs(pipeline(seed_text))
    np.testing.assert_array_equal(classifier.predict(inputs), pipeline.get_pipe("claimlens_classifier").predict(inputs))


# --- vectorize == DictVectorizer.transform --------------------------------------------------------

FIT = [{"bias": 1.0, "w:a": 0.3, "cue:hedge_modal": 1.0}, {"bias": 1.0, "w:b": 0.3, "w:0": 0.3}]


def _same_matrix(got, expected) -> None:
    assert type(got) is type(expected)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    for name in ("indices", "indptr", "data"):
        a, b = getattr(got, name), getattr(expected, name)
        assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=name == "data"), name


@pytest.mark.parametrize(
    "rows",
    [
        FIT,
        [{"w:b": 0.3, "bias": 1.0}],  # keys in another order
        [{"unseen": 1.0}, {}, {"bias": 1.0, "unseen": 2.0, "w:a": 0.5}],  # unknown features, an empty row
        [{"bias": True, "w:a": 2}],  # bools and ints become floats
        [{"bias": 0.0}],  # explicit zeros are kept, as DictVectorizer keeps them
        [{"bias": "x"}, {"bias": 1.0}],  # a string value: one-hot "bias=x" (unknown here), by DictVectorizer
        [{"bias": None}],  # None: DictVectorizer's own handling
        [{"bias": [1.0, 2.0]}],  # an iterable value
        [{"w:a": ["a", "b"]}, {"w:a": ["c"]}],  # ragged iterables
    ],
)
def test_vectorize_gives_the_dict_vectorizer_matrix(rows):
    vectorizer = DictVectorizer().fit(FIT)
    try:
        expected = vectorizer.transform(rows)
    except Exception as exc:  # the fast path must fail the same way
        with pytest.raises(type(exc)):
            vectorize(rows, vectorizer)
        return
    _same_matrix(vectorize(rows, vectorizer), expected)


@pytest.mark.parametrize(
    "vectorizer, rows, error",
    [
        (DictVectorizer(), FIT, NotFittedError),  # unfitted
        (DictVectorizer().fit(FIT), [], ValueError),  # no rows
    ],
)
def test_vectorize_fails_like_dict_vectorizer(vectorizer, rows, error):
    with pytest.raises(error):
        vectorize(rows, vectorizer)


def test_vectorize_dense_vectorizer_falls_back():
    vectorizer = DictVectorizer(sparse=False).fit(FIT)
    got = vectorize(FIT, vectorizer)
    assert not sp.issparse(got) and np.array_equal(got, vectorizer.transform(FIT))


def test_vectorize_on_the_committed_model(pipeline, seed_text):
    steps = pipeline.get_pipe("claimlens_classifier").estimator.steps
    features = steps[0][1].transform(sentence_inputs(pipeline(seed_text))[1])
    _same_matrix(vectorize(features, steps[1][1]), steps[1][1].transform(features))


def test_word_feature_names_survive_the_cache_being_cleared(monkeypatch):
    from nlp import features as module

    item = {"text": "In 2024 it rose.", "tokens": ["in", "2024", "it", "rose", "."], "cues": [], "in_quote": False,
            "speaker_tag_here": False, "speaker_tag_elsewhere": False, "source_type": None, "index": 1,
            "n_sentences": 3}
    expected = sentence_features(item)
    monkeypatch.setattr(module._WordFeatures, "LIMIT", 2)
    module._WORD_FEATURES.clear()
    for _ in range(3):
        assert sentence_features(item) == expected
        assert len(module._WORD_FEATURES) <= 3  # cleared when full, never grows past the limit
    assert "w:0000" in expected and "w:2024" not in expected


@pytest.mark.parametrize("limit", [3, 100_000])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=news_text)
def test_doc_strings_are_the_token_strings(monkeypatch, pipeline, limit, text):
    from nlp import doc_strings

    monkeypatch.setattr(doc_strings, "CACHE_LIMIT", limit)  # 3: caches emptied over and over
    monkeypatch.setattr(doc_strings, "_CACHES", {})
    for _ in range(2):
        doc = pipeline.make_doc(text)
        assert doc_text(doc) == doc.text == text
        assert lower_words(doc) == [None if t.is_space else t.lower_ for t in doc]
        assert all(len(cache) <= limit + 2 for cache in doc_strings._CACHES.values())


# --- cues per sentence ----------------------------------------------------------------------------

def reference_find(finder, doc: Doc) -> list[Cue]:
    matches = sorted(finder.matcher(doc), key=lambda m: (-(m[2] - m[1]), m[1]))
    taken = [False] * len(doc)
    for ent in doc.ents:
        for i in range(ent.start, ent.end):
            taken[i] = True
    cues = []
    for match_id, start, end in matches:
        numero = (end - start == 1 and doc[start].lower_ == "no" and end + 1 < len(doc)
                  and doc[end].text == "." and doc[end + 1].like_num)
        if any(taken[start:end]) or numero or _is_month(doc, start, end):  # the month rule is tested on its own
            continue
        for i in range(start, end):
            taken[i] = True
        span = doc[start:end]
        cues.append(Cue(span.text, doc.vocab.strings[match_id], span.start_char, span.end_char, start, end))
    return sorted(cues, key=lambda c: c.token_start)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=news_text | st.sampled_from([
    "No. 47 is closed. NO, said Kim Jong Un of the United States. There is no\n\nevidence, No 5.",
    "The Expected Value Fund may act; Reuters reported that it could not.",
]))
def test_cue_finder_matches_the_span_reference(pipeline, text):
    from nlp.cues import cue_finder_for

    doc = pipeline.make_doc(text)
    for name, component in pipeline.pipeline:
        if name != "claimlens_classifier":
            doc = component(doc)
    finder = cue_finder_for(doc.vocab)
    assert finder.find(doc) == reference_find(finder, doc)


def _cue(start: int, end: int) -> Cue:
    return Cue("x", "hedge_modal", start, end, start, end)


@pytest.mark.parametrize(
    "bounds, cues",
    [
        ([(0, 5), (5, 9)], [_cue(1, 2), _cue(4, 6), _cue(5, 6), _cue(8, 9)]),  # one cue crosses the boundary
        ([(0, 5), (5, 9)], []),
        ([(0, 3), (3, 3), (3, 9)], [_cue(0, 1), _cue(3, 4)]),  # an empty span
        ([(0, 9)], [_cue(6, 7), _cue(1, 2)]),  # not in token order: the plain filter, order kept
        ([(2, 4)], [_cue(0, 1), _cue(9, 10)]),  # none inside
    ],
)
def test_cues_by_span_equals_cues_in(bounds, cues):
    doc = Doc(Vocab(), words=[f"w{i}" for i in range(10)])
    spans = [doc[a:b] for a, b in bounds]
    assert cues_by_span(spans, cues) == [cues_in(span, cues) for span in spans]


# --- extensions and doc text --------------------------------------------------------------------

@pytest.fixture
def small_doc() -> Doc:
    return Doc(Vocab(), words=["It", "may", "rain", ".", "Fine", "."], spaces=[True, True, False, True, False, False])


def test_span_values_read_and_write_what_span_underscore_does(small_doc):
    spans = [small_doc[0:4], small_doc[4:6]]
    spans[0]._.skipped = "tag line"
    assert span_values(small_doc, spans, "skipped") == ["tag line", None]
    set_span_values(small_doc, spans, "label", ["speculation", "reported_fact"])
    assert [s._.label for s in spans] == ["speculation", "reported_fact"]
    # A new Span object over the same tokens sees the same value.
    assert Span(small_doc, 4, 6)._.label == "reported_fact"


@pytest.mark.parametrize("kind", ["getter", "mutable default", "method"])
def test_span_values_fall_back_to_span_underscore(small_doc, kind):
    name = f"claimlens_test_{kind.replace(' ', '_')}"
    if not Span.has_extension(name):
        if kind == "getter":
            Span.set_extension(name, getter=lambda span: span.text.upper())
        elif kind == "mutable default":
            Span.set_extension(name, default=[])
        else:
            Span.set_extension(name, method=lambda span, x: x)
    spans = [small_doc[0:4], small_doc[4:6]]
    if kind == "getter":
        assert span_values(small_doc, spans, name) == ["IT MAY RAIN.", "FINE."]
    elif kind == "mutable default":
        values = span_values(small_doc, spans, name)
        assert values == [[], []] and values[0] is spans[0]._.get(name)  # spaCy stores the copy it made
        set_span_values(small_doc, spans, name, [[1], [2]])
        assert [s._.get(name) for s in spans] == [[1], [2]]
    else:
        assert [f(3) for f in span_values(small_doc, spans, name)] == [3, 3]


def test_unknown_extension_is_an_error(small_doc):
    with pytest.raises(AttributeError):
        span_values(small_doc, [small_doc[0:2]], "no_such_extension")
    with pytest.raises(AttributeError):
        set_span_values(small_doc, [small_doc[0:2]], "no_such_extension", [1])


def test_doc_text_is_the_doc_text_and_cached(small_doc):
    assert doc_text(small_doc) == small_doc.text == "It may rain. Fine."
    assert small_doc.user_data[TEXT_KEY] == (6, "It may rain. Fine.")
    assert doc_text(small_doc) is doc_text(small_doc)


def test_doc_text_ignores_a_cache_from_another_doc(small_doc):
    # User data copied from a doc with another token count is not trusted.
    small_doc.user_data[TEXT_KEY] = (3, "something else")
    assert doc_text(small_doc) == "It may rain. Fine."
    with small_doc.retokenize() as retokenizer:  # retokenizing keeps the text, changes the count
        retokenizer.merge(small_doc[0:2])
    assert doc_text(small_doc) == small_doc.text == "It may rain. Fine."


def test_doc_records_with_entities_across_a_piece(pipeline):
    text = "Kim Jong Un visited Pyongyang on Monday. Reuters reported that Seoul may respond."
    doc = pipeline(text)
    got = doc_records("d", doc, 100)
    for record in got:
        assert text[record["start"] - 100:record["end"] - 100] == record["text"]
        for ent in record["entities"]:
            assert text[ent["start"] - 100:ent["end"] - 100] == ent["text"]
    starts = [r["start"] for r in got]
    assert starts == sorted(starts) and bisect.bisect_left(starts, 100) == 0


# --- entity ruler: token texts decoded where read, trigger words found from hashes ---------------

@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=news_text)
def test_token_texts_decode_like_token_text(pipeline, text):
    from nlp.doc_strings import TokenTexts

    doc = pipeline.make_doc(text)
    words = TokenTexts(doc, doc.to_array("ORTH").tolist())
    assert len(words) == len(doc)
    assert [words[i] for i in range(len(doc))] == [t.text for t in doc]
    assert words[1:4] == [t.text for t in doc[1:4]]


@pytest.mark.parametrize("text", [
    "President Kim Jong Un met Vladimir Putin and Dr. Jane Smith in Paris.",
    "The In He You So No",  # stop words among the listed first names: not triggers
    "nothing capitalised here at all",  # negative: no trigger word
    "",
])
def test_trigger_positions_equal_a_plain_scan(pipeline, text):
    from nlp.entities import trigger_positions, trigger_words

    doc = pipeline.make_doc(text)
    expected = [t.i for t in doc if t.text in trigger_words()]
    assert trigger_positions(doc.to_array("ORTH")) == expected
