"""Entity ruler: gazetteer patterns, normalised ids, types, people heuristics, counts."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlp.entities import ACTOR_TYPES, DEFAULT_PATTERNS, PLACE_TYPES, count_entities, load_patterns


def ents(pipeline, text):
    return {(e.text, e.label_, e._.entity_type, e.ent_id_) for e in pipeline(text).ents}


def test_seed_article_entities(source_pipeline, seed_text):
    doc = source_pipeline(seed_text)
    texts = {e.text for e in doc.ents}
    for wanted in ("North Korea", "Russia", "Ukraine", "Pyongyang", "Sinhung county", "South Hamgyong province",
                   "Kusong", "North Pyongan province", "Kim Jong Un", "Vladimir Putin", "KCNA", "Daily NK", "Kyodo",
                   "Aleksandr Matsegora", "Korean People’s Army", "KPA"):
        assert wanted in texts, wanted
    kpa = {e.ent_id_ for e in doc.ents if e.text in ("KPA", "Korean People’s Army")}
    assert kpa == {"kpa"}
    by_text = {e.text: (e.label_, e._.entity_type) for e in doc.ents}
    assert by_text["Pyongyang"] == ("PLACE", "city")
    assert by_text["South Hamgyong province"] == ("PLACE", "region")
    assert by_text["KCNA"] == ("ACTOR", "state_media")
    assert by_text["Kyodo"] == ("ACTOR", "media")
    assert by_text["Kim Jong Un"] == ("ACTOR", "person")


@pytest.mark.parametrize("text, expected", [
    ("The KPA fired shells.", ("KPA", "ACTOR", "military", "kpa")),
    ("Soldiers of the Korean People's Army paraded.", ("Korean People's Army", "ACTOR", "military", "kpa")),
    ("Yonhap reported the launch.", ("Yonhap", "ACTOR", "media", "yonhap")),
    ("TASS said the talks went well.", ("TASS", "ACTOR", "state_media", "tass")),
    ("Russian officials denied it.", ("Russian officials", "ACTOR", "official_anonymous", "officials_ru")),
    ("Local residents were worried.", ("Local residents", "ACTOR", "public", "residents")),
    ("A source in Pyongyang spoke to us.", ("A source", "ACTOR", "anonymous", "anonymous_source")),
    ("Troops moved into Kharkiv.", ("Kharkiv", "PLACE", "city", "kharkiv")),
    ("He flew to Tokyo on Monday.", ("Tokyo", "PLACE", "city", "tokyo")),
    ("The missile landed off Hokkaido.", ("Hokkaido", "PLACE", "region", "hokkaido")),
    ("Inspectors visited Yongbyon.", ("Yongbyon", "PLACE", "facility", "yongbyon")),
    ("Prices rose in Ryanggang province.", ("Ryanggang province", "PLACE", "region", "ryanggang")),
    ("The DPRK rejected the offer.", ("DPRK", "PLACE", "country", "north_korea")),
    ("Maj. Tom Holloway said so.", ("Tom Holloway", "ACTOR", "person", "tom_holloway")),
    ("Justice Minister Mehmet Ali Şahin spoke.", ("Mehmet Ali Şahin", "ACTOR", "person", "mehmet_ali_sahin")),
])
def test_entity_table(source_pipeline, text, expected):
    assert expected in ents(source_pipeline, text)


@pytest.mark.parametrize("text, not_expected", [
    ("He bought a mobile phone.", "mobile"),
    ("They held special military exchanges.", "military"),
    ("Will the talks resume?", "Will the"),
    ("The Roman Catholic church objected.", "Roman Catholic"),
    ("Paek Song Won Sanatorium was redesignated.", "Paek Song Won"),
    ("KPA Paek Song Won Sanatorium in Kusong was redesignated.", "Song Won Sanatorium"),
    ("russia, north korea, dprk", "russia"),
])
def test_entity_negatives(source_pipeline, text, not_expected):
    assert not_expected not in {e.text for e in source_pipeline(text).ents}


def test_bare_surname_takes_the_full_names_id(source_pipeline):
    doc = source_pipeline("Maj. Tom Holloway spoke first. Later Holloway said the report was wrong.")
    ids = [e.ent_id_ for e in doc.ents if e.text in ("Tom Holloway", "Holloway")]
    assert ids == ["tom_holloway", "tom_holloway"]


def test_short_alias_follows_the_person_named_before(source_pipeline):
    doc = source_pipeline("Kim Yo Jong issued a statement. Kim said the drills must stop.")
    assert [e.ent_id_ for e in doc.ents if e.text.startswith("Kim")] == ["kim_yo_jong", "kim_yo_jong"]
    doc = source_pipeline("Kim inspected the factory.")
    assert [e.ent_id_ for e in doc.ents] == ["kim_jong_un"]


def test_pattern_file_size_and_schema():
    rows = load_patterns(str(DEFAULT_PATTERNS))
    assert len(rows) >= 20_000
    for row in rows[:: max(1, len(rows) // 2000)]:
        assert row["label"] in ("ACTOR", "PLACE")
        assert row["type"] in (ACTOR_TYPES if row["label"] == "ACTOR" else PLACE_TYPES)
        assert row["pattern"] and isinstance(row["id"], str)


def test_count_entities_groups_by_normalised_id(source_pipeline, seed_text):
    [summary] = count_entities([source_pipeline(seed_text)])
    actors = {a["id"]: a for a in summary["actors"]}
    places = {p["id"]: p for p in summary["places"]}
    assert actors["kpa"]["count"] == 3 and set(actors["kpa"]["forms"]) == {"Korean People’s Army", "KPA"}
    assert actors["kpa"]["type"] == "military"
    assert places["north_korea"]["count"] >= 4 and places["north_korea"]["type"] == "country"
    assert summary["actors"][0]["count"] >= summary["actors"][-1]["count"]


def test_to_disk_round_trip(source_pipeline, tmp_path):
    ruler = source_pipeline.get_pipe("claimlens_entities")
    ruler.to_disk(tmp_path / "ruler")
    assert (tmp_path / "ruler" / "patterns.jsonl").exists()
    json.loads((tmp_path / "ruler" / "cfg.json").read_text())
    ruler.from_disk(tmp_path / "ruler")
    assert ruler.pattern_count >= 20_000
    assert ("KPA", "ACTOR", "military", "kpa") in ents(source_pipeline, "The KPA fired.")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["North", "Korea", "KPA", "said", "the", "source", "in", "Kim", "Jong", "Un",
                                 "officials", "Russian", "Tom", "Smith", ",", ".", "“", "”", "\n", "Seoul"]),
                max_size=40))
def test_entities_never_overlap_and_are_typed(source_pipeline, words):
    doc = source_pipeline(" ".join(words))
    last_end = -1
    for ent in doc.ents:
        assert ent.start >= last_end
        last_end = ent.end
        assert ent.label_ in ("ACTOR", "PLACE")
        assert ent._.entity_type in (ACTOR_TYPES if ent.label_ == "ACTOR" else PLACE_TYPES)


@pytest.mark.slow
def test_build_script_reproduces_committed_patterns(repo):
    result = subprocess.run([sys.executable, "training/build_patterns.py", "--check"], cwd=repo,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_entities_report_reads_inputs(tmp_path):
    from nlp.entities import entities_report

    (tmp_path / "a.txt").write_text("KCNA said the KPA fired. The Korean People's Army denied it.", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    records = {r["doc_id"]: r for r in entities_report([str(tmp_path)])}
    assert [(a["id"], a["count"]) for a in records["a"]["actors"]] == [("kpa", 2), ("kcna", 1)]
    assert "error" in records["empty"]


@pytest.mark.parametrize("text", [
    "Kim Jong Un met Vladimir Putin in Pyongyang, KCNA said.",
    "The Korean People's Army (KPA) moved to Sinhung county in South Hamgyong province.",
    "Nothing here names anyone.",  # negative: no entities at all
    "",  # negative: empty document
    "  Putin\n\n  and  Kim  ",  # whitespace tokens around and between entities
])
def test_entity_arrays_equal_set_ents(source_pipeline, text):
    """The ruler writes entity attributes as arrays; the result must be what set_ents gives."""
    from spacy.tokens import Span

    ruler = source_pipeline.get_pipe("claimlens_entities")
    doc = source_pipeline.make_doc(text)
    doc = source_pipeline.get_pipe("claimlens_segmenter")(doc)
    found = ruler.predict(doc)
    expected = source_pipeline.make_doc(text)
    expected.set_ents([Span(expected, e["start"], e["end"], label=e["label"], span_id=e["id"] or "")
                       for e in found], default="outside")
    ruler.set_annotations(doc, found)

    def view(d):
        return [(t.ent_iob_, t.ent_type_, t.ent_id_) for t in d], \
            [(e.start, e.end, e.label_, e.ent_id_, e.start_char, e.end_char) for e in d.ents]

    assert view(doc) == view(expected)
    assert [e._.entity_type for e in doc.ents] == [e["type"] for e in found]


def test_an_article_longer_than_spacy_allows_is_read_in_pieces_and_the_next_one_is_kept(tmp_path):
    from nlp.entities import entities_report

    huge = "Officials in Seoul said the army may fire. " * 26_000  # 1,118,000 characters: spaCy's limit is 1,000,000
    articles = tmp_path / "articles.jsonl"
    articles.write_text(json.dumps({"id": "huge", "text": huge}) + "\n"
                        + json.dumps({"id": "after", "text": "KCNA said the KPA fired."}) + "\n", encoding="utf-8")
    records = list(entities_report([str(articles)]))
    assert [r["doc_id"] for r in records] == ["huge", "after"] and not any("error" in r for r in records)
    assert [(a["id"], a["count"]) for a in records[0]["actors"]] == [("officials", 26_000)]
    assert [(p["id"], p["count"]) for p in records[0]["places"]] == [("seoul", 26_000)]
