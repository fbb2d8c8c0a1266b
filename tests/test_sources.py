"""Source extraction: source span and type per sentence, quotations, pronouns."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlp.sources import SOURCE_TYPES


def sources(pipeline, text):
    return [s._.source for s in pipeline(text).sents]


def main_source(pipeline, text):
    found = [s for s in sources(pipeline, text) if s]
    return (found[0]["text"], found[0]["type"]) if found else None


def test_seed_article_sources(source_pipeline, seed_text):
    doc = source_pipeline(seed_text)
    main = {(s._.source["text"], s._.source["type"]) for s in doc.sents if s._.source}
    nested = {(n["text"], n["type"]) for s in doc.sents if s._.source for n in s._.source["nested"]}
    assert ("A source in North Korea", "anonymous") in main
    assert ("the source", "anonymous") in main
    assert ("Kyodo", "media") in main
    assert ("The Korean Central News Agency", "state_media") in main
    assert ("Local residents", "public") in main
    assert {("locals", "public"), ("Many", "public")} <= nested
    for sent in doc.sents:
        source = sent._.source
        if source:
            assert doc.text[source["start"]:source["end"]] == source["text"]


@pytest.mark.parametrize("text, expected", [
    ("Police said the explosions destroyed the station.", ("Police", "organization")),
    ("“We will win,” said Foreign Minister Sergei Lavrov.", ("Sergei Lavrov", "named_person")),
    ("According to Reuters, the talks collapsed.", ("Reuters", "media")),
    ("North Korean state media reported the launch.", ("North Korean state media", "state_media")),
    ("Officials confirmed the talks collapsed.", ("Officials", "official_anonymous")),
    ("The report states that salt is iodised.", ("The report", "document")),
    ("A spokesperson for the ministry said the plan was final.", ("A spokesperson for the ministry",
                                                                 "official_anonymous")),
    ("Several freight cars were crumpled, Reuters reported.", ("Reuters", "media")),
    ("Aleksandr Matsegora, Russia’s ambassador to North Korea, stated that troops would come.",
     ("Aleksandr Matsegora", "named_person")),
    ("Local residents believe the sanatoriums are being used by Russia.", ("Local residents", "public")),
    ("Kyodo reported that Matsegora stated the plan.", ("Kyodo", "media")),
    ("Andrew Bor: The goal is Sochi, yes.", ("Andrew Bor", "named_person")),
    # negatives: no attribution cue, an evidential adverb only, a passive, an inference verb
    ("The treaty officially took effect on Dec. 4.", None),
    ("He allegedly transferred the funds.", None),
    ("Sixteen people were reported killed.", None),
    ("These abrupt actions suggest the regime is taking strict measures.", None),
    ("The army fired a warning shot at the boat.", None),
])
def test_source_table(source_pipeline, text, expected):
    assert main_source(source_pipeline, text) == expected


def test_quotation_takes_its_speaker_tag(source_pipeline):
    text = "“The staff were dismissed. They were replaced by new people,” the source said."
    found = sources(source_pipeline, text)
    assert [s and s["text"] for s in found] == ["the source", "the source"]


def test_untagged_quotation_continues_the_last_speaker(source_pipeline):
    text = ('Ben Summerskill said: "We are delighted with the decision.\n'
            '"There are overwhelming reasons why people should not be deported."')
    found = sources(source_pipeline, text)
    assert found[-1] is not None and found[-1]["text"] == "Ben Summerskill"


@pytest.mark.parametrize("text, expected_type, refers_to", [
    ("Vladimir Putin arrived in Pyongyang. He said the treaty was historic.", "named_person", "Vladimir Putin"),
    ("Kim Jong Un met Vladimir Putin. He said the treaty was historic.", "pronoun", None),
    ("Angela Merkel met Vladimir Putin. She said the talks were frank.", "named_person", "Angela Merkel"),
])
def test_pronoun_speakers(source_pipeline, text, expected_type, refers_to):
    source = sources(source_pipeline, text)[-1]
    assert source["type"] == expected_type
    assert (source.get("refers_to") or {}).get("text") == refers_to


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["Officials", "said", "the", "source", "told", "Reuters", "according", "to",
                                 "“", "”", '"', ",", ".", "\n", "he", "Kim", "Jong", "Un", "reported", "that",
                                 "Police", "believe", ":", "Tom", "Smith"]), max_size=40))
def test_sources_are_well_formed(source_pipeline, words):
    doc = source_pipeline(" ".join(words))
    for sent in doc.sents:
        source = sent._.source
        if source is None:
            continue
        assert source["type"] in SOURCE_TYPES
        assert 0 <= source["start"] < source["end"] <= len(doc.text)
        assert doc.text[source["start"]:source["end"]] == source["text"]
        for item in source["nested"]:
            assert item["type"] in SOURCE_TYPES
