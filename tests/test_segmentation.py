"""The news segmenter: Golden Rules, news cases, quotations, skipped segments, invariants."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlp.segmentation import SKIP_REASONS, NewsSegmenter, skip_reason

DATA = Path(__file__).resolve().parent / "data"
REPO = DATA.parent.parent

# The 48 English Golden Rules of the Pragmatic Segmenter, as shipped in pySBD's tests
# (tests/lang/test_english.py, GOLDEN_EN_RULES_TEST_CASES). pySBD itself fails rule 18.
GOLDEN = [json.loads(line) for line in (DATA / "golden_rules_en.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def segmenter_pipeline():
    pipeline = spacy.blank("en")
    pipeline.add_pipe("claimlens_segmenter")
    return pipeline


def segments(pipeline, text: str) -> list[str]:
    return [s.text.strip() for s in pipeline(text).sents if s.text.strip()]


def sentence_of(doc, fragment: str):
    return next(s for s in doc.sents if fragment in s.text)


# ----------------------------------------------------------------------------- Golden Rules


def test_golden_rules_file_is_complete():
    assert [case["rule"] for case in GOLDEN] == list(range(1, 49))


@pytest.mark.parametrize("case", GOLDEN, ids=[f"rule{c['rule']:02d}" for c in GOLDEN])
def test_golden_rule(segmenter_pipeline, case):
    assert segments(segmenter_pipeline, case["text"]) == case["expected"]


# ----------------------------------------------------------------------------- news cases

NEWS_CASES = [
    # abbreviations that do not end a sentence
    ("Sanatorium No. 47 in Sinhung county was redesignated.", ["Sanatorium No. 47 in Sinhung county was redesignated."]),
    ("He spoke in a Feb. 9 interview. It aired later.", ["He spoke in a Feb. 9 interview.", "It aired later."]),
    ("The treaty took effect on Dec. 4. Russia ratified it.", ["The treaty took effect on Dec. 4.", "Russia ratified it."]),
    ("Gen. Kim and Lt. Col. Park met Sen. Smith.", ["Gen. Kim and Lt. Col. Park met Sen. Smith."]),
    ("U.S. President Joe Biden spoke.", ["U.S. President Joe Biden spoke."]),
    ("Troops left the U.S. The next day they landed.", ["Troops left the U.S.", "The next day they landed."]),
    ("They met in Washington D.C. after the vote.", ["They met in Washington D.C. after the vote."]),
    ("President George W. Bush spoke.", ["President George W. Bush spoke."]),
    ("Apple Inc. shares rose. Analysts cheered.", ["Apple Inc. shares rose.", "Analysts cheered."]),
    ("It cost $3.5 million, or 10.3% more.", ["It cost $3.5 million, or 10.3% more."]),
    ("See https://example.com/a.b. Then call.", ["See https://example.com/a.b.", "Then call."]),
    ("The blast hit at 6 a.m. local time.", ["The blast hit at 6 a.m. local time."]),
    ("Talks began at 9 p.m. ET and ended at midnight.", ["Talks began at 9 p.m. ET and ended at midnight."]),
    ("Roe v. Wade was cited, e.g. by the court.", ["Roe v. Wade was cited, e.g. by the court."]),
    ("Its strength rose, i.e. The Army grew.", ["Its strength rose, i.e. The Army grew."]),
    # sentence ends that are real
    ("189 people died. 40 were children.", ["189 people died.", "40 were children."]),
    ("He left. (He came back later.) Then he spoke.", ["He left.", "(He came back later.)", "Then he spoke."]),
    ("It was over... or was it?", ["It was over... or was it?"]),
    ('"Why?" Smith asked. He got no answer.', ['"Why?" Smith asked.', "He got no answer."]),
    ('"Power to the people!" During the protests, she spoke.', ['"Power to the people!"', "During the protests, she spoke."]),
    ("He said it was unfair [...] Pilots are tired.", ["He said it was unfair [...]", "Pilots are tired."]),
    # paragraphs and lines
    ("A headline without a full stop\n\nThe story starts here. It goes on.",
     ["A headline without a full stop", "The story starts here.", "It goes on."]),
    ("Wednesday, May 23, 2012\nThe body was buried.", ["Wednesday, May 23, 2012", "The body was buried."]),
    ("first line\nsecond line", ["first line", "second line"]),
    ("WASHINGTON (AP) — The Senate voted on Tuesday.", ["WASHINGTON (AP) —", "The Senate voted on Tuesday."]),
    ("Thursday, May 7, 2015 On Tuesday, the government announced a review.",
     ["Thursday, May 7, 2015", "On Tuesday, the government announced a review."]),
    ("The caption line. / Photo: Rodong Sinmun, News1", ["The caption line.", "/ Photo: Rodong Sinmun, News1"]),
    ("US-Afghan relations have worsened.", ["US-Afghan relations have worsened."]),
    # quotations over several sentences
    ("“Service members are healthy. This doesn’t match,” the source said.",
     ["“Service members are healthy.", "This doesn’t match,” the source said."]),
    ('She said, "We won. We are happy." Then she left.', ['She said, "We won.', 'We are happy."', "Then she left."]),
]


@pytest.mark.parametrize("text,expected", NEWS_CASES)
def test_news_segmentation(segmenter_pipeline, text, expected):
    assert segments(segmenter_pipeline, text) == expected


def test_seed_article_segments_match_gold(segmenter_pipeline, seed_text, seed_gold):
    doc = segmenter_pipeline(seed_text)
    predicted = []
    for sent in doc.sents:
        stripped = sent.text.strip()
        if stripped:
            start = sent.start_char + sent.text.index(stripped)
            predicted.append((start, start + len(stripped)))
    assert predicted == [(row["start"], row["end"]) for row in seed_gold]
    reasons = {sent.text.strip(): sent._.skipped for sent in doc.sents}
    for row in seed_gold:
        expected = row["why"] if row["label"] == "none" else None
        assert reasons[row["text"]] == expected, row["text"]


def test_seed_article_two_sentence_quotes(segmenter_pipeline, seed_text):
    doc = segmenter_pipeline(seed_text)
    pairs = [("Service members familiar", "This doesn’t match"), ("Given reports of North Korean", "Many believe the story")]
    ids = set()
    for first, second in pairs:
        a, b = sentence_of(doc, first), sentence_of(doc, second)
        assert a != b
        assert a._.quote is not None and a._.quote == b._.quote
        tag = a._.quote["speaker_tag"]
        assert seed_text[tag["start"]:tag["end"]] == "the source said"
        assert tag["start"] >= b.start_char  # the tag sits in the second sentence
        ids.add(a._.quote["id"])
    assert len(ids) == 2
    assert sentence_of(doc, "Following this redesignation")._.quote["id"] not in ids
    for fragment in ("The staff changes", "According to the source", "Read in Korean", "A source in North Korea"):
        assert sentence_of(doc, fragment)._.quote is None, fragment
    assert [q["id"] for q in doc._.quotes] == [0, 1, 2]


# ----------------------------------------------------------------------------- quotations

QUOTE_CASES = [
    # text, fragment of a sentence, is it inside a quotation, speaker tag text (None: no tag)
    ('"We are ready," he said.', "We are ready", True, "he said"),
    ('"We are ready," said Ambassador Mohib.', "We are ready", True, "said Ambassador Mohib"),
    ('He said, "We are ready."', "We are ready", True, "He said"),
    ("‘We are ready,’ the minister said.", "We are ready", True, "the minister said"),
    ("He told reporters: “The talks failed. We will try again.”", "We will try again", True, "He told reporters"),
    ("The talks were called “a failure” by critics.", "a failure", False, None),
    ("KCNA reported that “A treaty has been signed.”", "A treaty", False, None),
    ('"A," she said, "is the first letter. B is next."', "B is next", True, "she said"),
    ('"It was hard," said Mohib.\n\n"They represent our hopes. They will win."', "They will win", True, "said Mohib"),
    ('"The first paragraph of the quote.\n\n"The second paragraph," the source said.', "first paragraph", True,
     "the source said"),
    ("The sanatoriums’ beds sit unused. Officials’ statements differ.", "beds sit unused", False, None),
]


@pytest.mark.parametrize("text,fragment,inside,tag", QUOTE_CASES)
def test_quotations(segmenter_pipeline, text, fragment, inside, tag):
    doc = segmenter_pipeline(text)
    quote = sentence_of(doc, fragment)._.quote
    assert (quote is not None) == inside
    if inside:
        assert quote["id"] in {q["id"] for q in doc._.quotes}
        speaker = quote["speaker_tag"]
        assert (text[speaker["start"]:speaker["end"]] if speaker else None) == tag


def test_multi_paragraph_quotation_is_one_quotation(segmenter_pipeline):
    text = '"The first paragraph of the quote.\n\n"The second paragraph," the source said.'
    doc = segmenter_pipeline(text)
    ids = {s._.quote["id"] for s in doc.sents}
    assert ids == {0} and len(doc._.quotes) == 1
    assert doc._.quotes[0]["start"] == 0 and doc._.quotes[0]["end"] == text.index(",") + 2


def test_quote_tracking_can_be_switched_off():
    pipeline = spacy.blank("en")
    pipeline.add_pipe("claimlens_segmenter", config={"track_quotes": False})
    doc = pipeline('"We are ready," he said. "So are we."')
    assert doc._.quotes == [] and all(s._.quote is None for s in doc.sents)
    assert len(list(doc.sents)) == 2


# ----------------------------------------------------------------------------- skipped segments

SKIP_CASES = [
    ("weapons production, russia, north korea, dprk", "tag line"),
    ("Tags: North Korea, Russia", "tag line"),
    ("/ Photo: Rodong Sinmun, News1", "photo credit"),
    ("Photo: Reuters", "photo credit"),
    ("(AP Photo/Ahn Young-joon)", "photo credit"),
    ("Pictured: Kim Jong Un inspects a munitions factory.", "caption"),
    ("By Jeong Tae Joo", "byline"),
    ("Reporting by Jane Doe; Editing by John Roe", "byline"),
    ("VOA's David Gollust reports from the State Department.", "byline"),
    ("Wednesday, May 23, 2012", "dateline"),
    ("SEOUL, Feb. 9 (Yonhap) --", "dateline"),
    ("Updated: Oct 21, 2024 14:05", "dateline"),
    ("Read in Korean", "navigation"),
    ("Related articles", "navigation"),
    ("A compilation of brief news reports for Thursday, February 27, 2014.", "navigation"),
    ("Reactions:", "section heading"),
    ("Day four", "section heading"),
    ("Barry Morse, actor, 89", "section heading"),
    ('"', "empty"),
    ("   ", "empty"),
    # claims are never skipped
    ("North Korea fired a missile on Tuesday.", None),
    ("Kim Jong Un visits Moscow", None),  # a headline-length line with a verb but 5 words
    ("By Tuesday, the troops had left.", None),
    ("He said:", None),
    ("Share prices fell sharply in Seoul on Monday.", None),
]


@pytest.mark.parametrize("text,reason", SKIP_CASES)
def test_skip_reason(text, reason):
    assert skip_reason(text) == reason


def test_headline_is_never_a_section_heading():
    assert skip_reason("Day four") == "section heading"
    assert skip_reason("Day four", first_line=True) is None


def test_skip_vocabulary_is_closed(segmenter_pipeline, seed_text):
    doc = segmenter_pipeline(seed_text + "\n\nBackground\n\nBy John Smith\n\n\"\n\nAdvertisement")
    reasons = {s._.skipped for s in doc.sents} - {None}
    assert reasons <= set(SKIP_REASONS)
    assert {"tag line", "photo credit", "navigation", "section heading", "byline", "empty"} <= reasons


def test_first_line_headline_is_a_claim(segmenter_pipeline):
    doc = segmenter_pipeline("Nagasaki holds ceremony\n\nA ceremony was held.\n\nSecond day\n\nMore text here.")
    skipped = [s._.skipped for s in doc.sents]
    assert skipped == [None, None, "section heading", None]


# ----------------------------------------------------------------------------- edge cases


@pytest.mark.parametrize("text", ["", " ", "\n\n", "a", ".", "\n\nHello.", '"', "Hello.\n\n\n", "  Hi. Yo.  "])
def test_degenerate_documents(segmenter_pipeline, text):
    doc = segmenter_pipeline(text)
    assert all(token.is_sent_start is not None for token in doc)
    if len(doc):
        assert doc[0].is_sent_start
    assert "".join(s.text_with_ws for s in doc.sents) == text


def test_every_token_has_a_sentence_start_value(segmenter_pipeline, seed_text):
    doc = segmenter_pipeline(seed_text)
    assert all(token.is_sent_start in (True, False) for token in doc)
    assert not any(token.is_sent_start and token.is_space for token in doc[1:])


def test_serialisation_round_trip(tmp_path, segmenter_pipeline):
    pipeline = spacy.blank("en")
    segmenter = pipeline.add_pipe("claimlens_segmenter", config={"max_heading_words": 3})
    segmenter.data["abbreviations.json"]["no_break"]["words"].append("Xyz")
    segmenter.set_data(segmenter.data)
    assert segments(pipeline, "It was Xyz. Smith said so.") == ["It was Xyz. Smith said so."]
    pipeline.to_disk(tmp_path / "pipe")
    files = sorted(p.name for p in (tmp_path / "pipe" / "claimlens_segmenter").iterdir())
    assert files == ["abbreviations.json", "cfg.json", "inline_splits.json", "skip_patterns.json", "words.json"]
    loaded = spacy.load(tmp_path / "pipe")
    assert loaded.get_pipe("claimlens_segmenter").cfg["max_heading_words"] == 3
    assert segments(loaded, "It was Xyz. Smith said so.") == ["It was Xyz. Smith said so."]
    assert segments(segmenter_pipeline, "It was Xyz. Smith said so.") == ["It was Xyz.", "Smith said so."]


def test_broken_data_file_is_a_model_error(tmp_path):
    from nlp.errors import ModelError

    segmenter = NewsSegmenter(spacy.blank("en"))
    segmenter.to_disk(tmp_path)
    (tmp_path / "words.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError):
        segmenter.from_disk(tmp_path)


def test_corpus_boundary_f1_does_not_regress(segmenter_pipeline):
    """Boundary F1 on the documents the rules were tuned on (train + dev); see benchmarks/segmentation.py."""
    docs = [json.loads(line) for line in (REPO / "training" / "data" / "docs.jsonl").read_text(encoding="utf-8").splitlines()]
    splits = json.loads((REPO / "training" / "data" / "splits.json").read_text(encoding="utf-8"))
    tuned = set(splits["train"]) | set(splits["dev"])
    tp = fp = fn = 0
    for record in docs:
        if record["id"] not in tuned:
            continue
        gold = {s["start"] for s in record["sentences"][1:]}
        pred = set()
        for sent in list(segmenter_pipeline(record["text"]).sents)[1:]:
            text = sent.text
            pred.add(sent.start_char + len(text) - len(text.lstrip()))
        tp, fp, fn = tp + len(gold & pred), fp + len(pred - gold), fn + len(gold - pred)
    f1 = 2 * tp / (2 * tp + fp + fn)
    assert f1 >= 0.975


def _benchmark_module():
    from conftest import load_script

    return load_script("benchmarks/segmentation.py")


#               text:  A b. "C d." E f.   (offsets: '"' at 5, 'C' at 6, 'E' at 12)
QUOTE_TEXT = 'A b. "C d." E f.'


@pytest.mark.parametrize("gold, predicted, strict_errors, neutral_errors", [
    # gold and prediction agree: no error either way
    ([(0, 4), (5, 11), (12, 16)], [(0, 4), (5, 11), (12, 16)], 0, 0),
    # gold slip: the opening mark left at the end of the previous sentence
    ([(0, 6), (6, 11), (12, 16)], [(0, 4), (5, 11), (12, 16)], 2, 0),
    # gold slip: a "sentence" that is only the quotation mark
    ([(0, 4), (5, 6), (6, 11), (12, 16)], [(0, 4), (5, 11), (12, 16)], 1, 0),
    # negative: a boundary really missed is still an error
    ([(0, 4), (5, 11), (12, 16)], [(0, 11), (12, 16)], 1, 1),
    # negative: a boundary really added is still an error
    ([(0, 11), (12, 16)], [(0, 4), (5, 11), (12, 16)], 1, 1),
])
def test_quote_neutral_boundary_scoring(gold, predicted, strict_errors, neutral_errors):
    bench = _benchmark_module()
    doc = {"text": QUOTE_TEXT, "sentences": [{"start": a, "end": b} for a, b in gold]}
    system = bench.System("fixed", lambda text: predicted, None)
    for quote_neutral, expected in ((False, strict_errors), (True, neutral_errors)):
        score = bench.boundary_scores(system, [doc], quote_neutral=quote_neutral)
        assert score["fp"] + score["fn"] == expected, quote_neutral


# ----------------------------------------------------------------------------- invariants

_PIECES = ["The", "U.S.", "Mr.", "No.", "47", "3.5", "a.m.", "I.", "e.g.", "said", "he", "word", "Feb.", "9", ".", ". ",
           "!", "?", "...", "…", ". . .", '"', "“", "”", "‘", "’", "'", "(", ")", "[...]", ",", ":", ";", "—", " - ",
           "\n", "\n\n", " \n ", "  ", " ", "•", "1.", "2.", "a.", "b.", "/ Photo:", "((WN))", "Wednesday,",
           "May 23, 2012", "WASHINGTON", "https://x.org/a.b", "\t", "\u00a0", "\r\n"]
TEXTS = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(_PIECES), max_size=80).map(" ".join),
    st.lists(st.sampled_from(_PIECES), max_size=80).map("".join),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXTS)
def test_segments_partition_the_text(segmenter_pipeline, text):
    doc = segmenter_pipeline(text)
    sents = list(doc.sents)
    covered = []
    previous_end = 0
    for sent in sents:
        assert len(sent) > 0 and sent.start_char >= previous_end  # non-empty, in order, non-overlapping
        previous_end = sent.end_char
        covered.extend(range(sent.start_char, sent.end_char))
    covered = set(covered)
    assert all(i in covered for i, char in enumerate(text) if not char.isspace())
    if any(not c.isspace() for c in text):
        assert all(s.text.strip() for s in sents)  # no whitespace-only segment
    ids = [q["id"] for q in doc._.quotes]
    assert ids == list(range(len(ids)))
    for sent in sents:
        assert sent._.skipped is None or sent._.skipped in SKIP_REASONS
        if sent._.quote is not None:
            assert sent._.quote["id"] in ids
            tag = sent._.quote["speaker_tag"]
            assert tag is None or 0 <= tag["start"] < tag["end"] <= len(text)


def test_every_skip_pattern_example_is_found_on_its_own_line(segmenter_pipeline):
    """The shortcuts that spare most lines the regular expressions must not hide any pattern."""
    patterns = json.loads((REPO / "nlp" / "resources" / "segmentation" / "skip_patterns.json").read_text("utf-8"))
    for pattern in patterns["patterns"]:
        doc = segmenter_pipeline(f"A headline\n\n{pattern['example']}\n\nThe story goes on.")
        line = next(s for s in doc.sents if pattern["example"] in s.text)
        assert line._.skipped == pattern["reason"], pattern["example"]


def test_pipe_equals_one_document_at_a_time(segmenter_pipeline, seed_text):
    texts = [seed_text, "", "One. Two.", "   ", '"A," he said. "B."', "Wednesday, May 23, 2012\n\nText here."] * 3
    one = [segmenter_pipeline(t) for t in texts]
    batched = list(segmenter_pipeline.pipe(texts, batch_size=4))
    for a, b in zip(one, batched):
        assert [(s.start_char, s.end_char, s._.skipped, s._.quote) for s in a.sents] == [
            (s.start_char, s.end_char, s._.skipped, s._.quote) for s in b.sents
        ]
        assert a._.quotes == b._.quotes


def test_flag_table_grows_and_stays_exact():
    import numpy

    from nlp.segmentation import _FlagTable

    table = _FlagTable(lambda orth: orth % 1000 + 1, size=8)
    rng = numpy.random.default_rng(0)
    orths = rng.integers(1, 2**63, size=5000, dtype=numpy.int64).view(numpy.uint64) * numpy.uint64(2)
    orths[-800:] = orths[:800]  # repeats, within and across lookups
    for chunk in numpy.array_split(orths, 9):
        assert table.lookup(chunk).tolist() == [int(o) % 1000 + 1 for o in chunk.tolist()]
    assert table.lookup(orths).tolist() == [int(o) % 1000 + 1 for o in orths.tolist()]
    assert table.size >= 2 * len(set(orths.tolist()))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(TEXTS, min_size=1, max_size=6))
def test_pipe_equals_calls_for_any_texts(segmenter_pipeline, texts):
    one = [segmenter_pipeline(t) for t in texts]
    for a, b in zip(one, segmenter_pipeline.pipe(texts, batch_size=3)):
        assert [(s.start_char, s._.skipped, s._.quote) for s in a.sents] == [
            (s.start_char, s._.skipped, s._.quote) for s in b.sents
        ]
