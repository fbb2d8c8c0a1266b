"""The classifier's invariants, its features, calibration and evaluation measures."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from nlp import LABELS
from nlp.baseline import cue_rule_label
from nlp.calibration import calibration_metrics, fit_scaling
from nlp.features import sentence_features
from nlp.records import doc_records
from strategies import news_text



@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=news_text)
def test_any_text_gets_valid_labels_and_probabilities(pipeline, text):
    records = doc_records("doc", pipeline(text))
    for record in records:
        assert record["text"] == text[record["start"]:record["end"]] and record["text"].strip()
        if record["skipped"]:
            assert record["label"] is None and record["probs"] is None
            continue
        assert record["label"] in LABELS
        assert set(record["probs"]) == set(LABELS)
        assert all(0.0 <= p <= 1.0 for p in record["probs"].values())
        assert sum(record["probs"].values()) == pytest.approx(1.0, abs=1e-6)
        assert record["confidence"] == max(record["probs"].values())
        assert record["label"] == max(record["probs"], key=record["probs"].get)


def _item(text, cues=(), in_quote=False):
    tokens = text.lower().replace(",", " ,").replace(".", " .").split()
    return {
        "text": text, "tokens": tokens,
        "cues": [{"text": word, "type": kind, "token": tokens.index(word)} for word, kind in cues],
        "in_quote": in_quote, "speaker_tag_here": False, "speaker_tag_elsewhere": False,
        "source_type": None, "index": 3, "n_sentences": 10,
    }


@pytest.mark.parametrize(
    "item, present, absent",
    [
        (_item("Officials said the missile may have been new.", [("said", "reporting_verb"), ("may", "hedge_modal")]),
         ["rule:hedged+attributed", "cue:hedge_modal:main"], ["rule:attributed"]),
        (_item("Residents could not leave the city.", [("could", "hedge_modal")]),
         ["cue:hedge_modal:negated"], ["rule:hedged", "rule:hedged+attributed"]),
        (_item("Kyodo reported that North Korea would accept soldiers.", [("reported", "reporting_verb"), ("would", "hedge_modal")]),
         ["cue:hedge_modal:reported_future", "rule:attributed"], ["rule:hedged+attributed"]),
        (_item("The debris, which officials suspected came from a wing, washed ashore.", [("suspected", "hedge_verb")]),
         ["cue:hedge_verb:relative"], ["rule:hedged"]),
        (_item("Pieces of suspected plane debris washed ashore.", [("suspected", "hedge_verb")]),
         ["cue:hedge_verb:modifier"], ["rule:hedged", "cue:hedge_verb:main"]),
        (_item("The fragment, suspected to be from a wing, was found.", [("suspected", "hedge_verb")]),
         ["cue:hedge_verb:modifier"], ["rule:hedged"]),
        (_item("They searched in the hope of finding survivors.", [("hope", "hedge_verb")]),
         ["cue:hedge_verb:modifier"], ["rule:hedged"]),
        (_item("The crisis is worse than previously thought.", [("thought", "hedge_verb")]),
         ["cue:hedge_verb:comparison"], ["rule:hedged"]),
        (_item("No explanation was given, though speculation has been raised.", [("speculation", "hedge_noun")]),
         ["cue:hedge_noun:subordinate"], ["rule:hedged"]),
        (_item("Markets fell hours after officials announced the cuts.", [("announced", "reporting_verb")]),
         ["cue:reporting_verb:subordinate"], ["rule:attributed"]),
        # negatives: the verb heads the claim; a subordinator beyond a comma does not reach the cue
        (_item("Prices expected to rise.", [("expected", "hedge_verb")]), ["cue:hedge_verb:main", "rule:hedged"], []),
        (_item("After the vote, officials said the plan may fail.", [("said", "reporting_verb"), ("may", "hedge_modal")]),
         ["cue:hedge_modal:main", "rule:hedged+attributed"], ["cue:hedge_modal:subordinate"]),
        (_item("Some believe the talks will fail.", [("believe", "hedge_verb")]), ["rule:hedged"], []),
        (_item("This suggests the plan failed.", [("suggests", "hedge_verb")]), ["rule:hedged"], []),
        (_item("He is widely believed to be ill.", [("believed", "hedge_verb")]), ["cue:hedge_verb:main"], []),
        (_item("The family believes the boy was kidnapped.", [("believes", "hedge_verb")]), ["rule:hedged"], []),
        (_item("His family fears he was killed.", [("fears", "hedge_verb")]), ["rule:hedged"], []),
        (_item("The summit opens on Monday."), ["w:monday", "length:short"], ["rule:attributed", "quote:inside"]),
        (_item("This does not match.", in_quote=True), ["quote:inside", "rule:attributed"], ["rule:hedged"]),
    ],
)
def test_sentence_features(item, present, absent):
    features = sentence_features(item)
    for name in present:
        assert name in features, name
    for name in absent:
        assert name not in features, name


@pytest.mark.parametrize(
    "cues, in_quote, expected",
    [
        ([("said", "reporting_verb"), ("may", "hedge_modal")], False, "speculation"),
        ([("said", "reporting_verb")], False, "attribution"),
        ([], True, "attribution"),
        ([], False, "reported_fact"),
        ([("reportedly", "evidential")], False, "attribution"),
    ],
)
def test_cue_rule_baseline(cues, in_quote, expected):
    text = " ".join(word for word, _ in cues) or "plain"
    assert cue_rule_label(_item(text, cues, in_quote)) == expected


def test_calibration_metrics_perfect_and_overconfident():
    targets = np.array([0, 1, 2, 0])
    perfect = np.eye(3)[targets]
    m = calibration_metrics(perfect, targets)
    assert m["ece"] == 0.0 and m["brier"] == 0.0
    assert sum(row["count"] for row in m["reliability"]) == 4
    wrong = np.eye(3)[[1, 2, 0, 1]]  # certain and always wrong
    m = calibration_metrics(wrong, targets)
    assert m["ece"] == pytest.approx(1.0) and m["brier"] == pytest.approx(2.0)


def test_fit_scaling_softens_overconfident_scores():
    rng = np.random.default_rng(0)
    targets = rng.integers(0, 3, size=600)
    scores = rng.normal(size=(600, 3))
    scores[np.arange(600), targets] += 1.0
    temperature, _ = fit_scaling(scores * 10, targets)  # scores ten times too sharp
    assert temperature > 3


def _toy_rows(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = np.array(["reported_fact", "attribution", "speculation"])[np.argmax(X[:, :3] + rng.normal(size=(n, 3)), axis=1)]
    return X, y


@pytest.mark.parametrize("calibrate, error", [
    (None, None),
    ([True] * 120, None),
    ([True] * 60 + [False] * 60, None),
    # negatives: no row to calibrate on, a mask of the wrong length
    ([False] * 120, "at least one"),
    ([True] * 10, "at least one"),
])
def test_hedge_first_classifier_calibrates_on_the_marked_rows(calibrate, error):
    from nlp.calibration import HedgeFirstClassifier

    X, y = _toy_rows()
    groups = [f"d{i // 10}" for i in range(len(y))]
    model = HedgeFirstClassifier()
    if error:
        with pytest.raises(ValueError, match=error):
            model.fit(X, y, groups=groups, calibrate=calibrate)
        return
    model.fit(X, y, groups=groups, calibrate=calibrate)
    assert model.temperature_ > 0
    assert np.allclose(model.predict_proba(X).sum(axis=1), 1.0)
    unmarked = HedgeFirstClassifier().fit(X, y, groups=groups)
    if calibrate is None or all(calibrate):
        assert model.temperature_ == pytest.approx(unmarked.temperature_)
    else:  # the stages are the same; only the temperature is fitted on the first half
        assert np.allclose(model.hedge_.coef_, unmarked.hedge_.coef_)


def test_committed_model_metrics_are_complete():
    from nlp.model_store import load_model

    _, meta, _ = load_model()
    for split in ("dev", "test"):
        metrics = meta["metrics"][split]
        assert set(metrics["per_label"]) == set(LABELS)
        assert 0 <= metrics["calibration"]["ece"] <= 1
        assert len(metrics["calibration"]["reliability"]) == 10
    assert 0.5 <= meta["calibration"]["low_confidence_threshold"] <= 1.0


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Sanatorium No. 47 was closed.", []),
        ("There is no. 5 bus.", []),
        ("No, he said.", [("No", "negation"), ("said", "reporting_verb")]),
        ("There was no evidence.", [("no", "negation")]),
        ("The United States may act.", [("may", "hedge_modal")]),  # "States" inside a name is not a cue
        ("He was tried in May 2000.", []),  # the month
        ("Since May the price rose.", []),
        ("On May 31 it closed.", []),
        ("Kim May Visit Russia", [("May", "hedge_modal")]),  # a title-case headline keeps its modal
        ("May it rain.", [("May", "hedge_modal")]),
        ("They may leave in May.", [("may", "hedge_modal")]),
        ("It rained in  May.", []),  # a whitespace token before the month
        ("I don't know whether it works.", [("don't know whether", "hedge_phrase")]),  # an open question
        ("We'll see.", [("We'll see", "hedge_phrase")]),
        ("I don't know him.", [("n't", "negation")]),  # negative: no open question
        ("In May, prices rose.", []),
        ("Stocks Slide And May Fall Further", [("May", "hedge_modal")]),
        ("What Comes Next May Surprise Investors", [("May", "hedge_modal")]),
    ],
)
def test_cue_finder(pipeline, text, expected):
    from nlp.cues import cue_finder_for

    doc = pipeline(text)
    assert [(c.text, c.type) for c in cue_finder_for(doc.vocab).find(doc)] == expected
