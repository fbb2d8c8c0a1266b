"""Confidence reports: aggregation, the JSON schema, the table/Markdown views, input detection, the CLI."""
from __future__ import annotations

import copy
import gzip
import io
import json
import re
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from nlp import LABELS
from nlp.cli import app
from nlp.report import (
    DEFAULT_THRESHOLD, build_report, counted, model_reliability, threshold_from_meta, verdict, wilson_lower,
)
from nlp.report_inputs import make_report
from nlp.report_render import entity_line, render_markdown

DATA = Path(__file__).resolve().parent / "data"
RECORDS = DATA / "report_records.jsonl"
SCHEMA = json.loads((Path(__file__).resolve().parent.parent / "nlp/resources/report/report.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
runner = CliRunner()


def records() -> list[dict]:
    with open(RECORDS, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def run(*args, stdin: bytes | None = None):
    return runner.invoke(app, ["report", *args], input=stdin)


def strict_json(constant: str):
    raise AssertionError(f"{constant} is not JSON: a strict reader refuses the report")


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_json_report_is_strict_json_whatever_the_model_meta_holds(tmp_path, value):
    model_dir = _meta_dir(tmp_path)
    meta = json.loads((model_dir / "meta.json").read_text())
    meta["metrics"]["test"].update(accuracy=value, calibration={"ece": value, "reliability": [{"confidence": value}]})
    (model_dir / "meta.json").write_text(json.dumps(meta))
    result = run(str(RECORDS), "--format", "json", "--model", str(model_dir))
    assert result.exit_code == 1, result.output  # RECORDS holds one failed article, broken_article
    data = json.loads(result.stdout, parse_constant=strict_json)
    assert "accuracy" not in data["model"]["test"] and "ece" not in data["model"]["test"]
    assert data["model"]["test"]["reliability"] == [dict.fromkeys(("lower", "upper", "count", "confidence", "accuracy"))]


def flat(text: str) -> str:
    """Terminal output with table borders and line wrapping removed, for phrase matching."""
    return " ".join(re.sub(r"[│┃┏┓┗┛┡┩└┘┌┐━─╇╈┳┻┼╋]", " ", text).split())


@pytest.fixture(scope="module")
def report() -> dict:
    return build_report(records())


def article(report: dict, doc_id: str) -> dict:
    return next(a for a in report["articles"] if a["doc_id"] == doc_id)


def entity(summary: dict, text: str) -> dict:
    return next(e for kind in ("actors", "places") for e in summary["entities"][kind] if e["text"] == text)


# ----------------------------------------------------------------------------- aggregation

@pytest.mark.parametrize("doc_id, counts, claims, skipped, low", [
    ("nk_sanatoriums", {"reported_fact": 1, "attribution": 4, "speculation": 2}, 7, 2, [6, 5]),
    ("vladivostok_summit", {"reported_fact": 2, "attribution": 0, "speculation": 1}, 3, 0, [2]),
])
def test_article_counts(report, doc_id, counts, claims, skipped, low):
    a = article(report, doc_id)
    assert {label: a["labels"][label]["count"] for label in LABELS} == counts
    assert (a["claims"], a["skipped"]) == (claims, skipped)
    assert [s["index"] for s in a["low_confidence"]["sentences"]] == low  # least confident first
    assert all(s["confidence"] < DEFAULT_THRESHOLD for s in a["low_confidence"]["sentences"])


def test_mean_confidence_and_shares(report):
    a = article(report, "nk_sanatoriums")
    assert a["labels"]["attribution"]["mean_confidence"] == pytest.approx((0.93 + 0.88 + 0.52 + 0.9) / 4, abs=1e-4)
    assert a["labels"]["speculation"]["share"] == pytest.approx(2 / 7, abs=1e-4)
    assert article(report, "vladivostok_summit")["labels"]["attribution"]["mean_confidence"] is None


@pytest.mark.parametrize("doc_id, attributed, anonymous, share, anonymous_claims", [
    ("nk_sanatoriums", 4, 3, 0.75, 3),  # anonymous + official_anonymous; the named person does not count
    ("vladivostok_summit", 0, 0, None, 0),  # "analysts" (public) is not anonymous; no attributed claim
])
def test_anonymous_sources(report, doc_id, attributed, anonymous, share, anonymous_claims):
    sources = article(report, doc_id)["sources"]
    assert sources["attributed_claims"] == attributed
    assert sources["anonymous_attributed"] == anonymous
    assert sources["anonymous_share"] == share
    assert sources["anonymous_claims"] == anonymous_claims


@pytest.mark.parametrize("doc_id, name, line", [
    ("nk_sanatoriums", "Russia", "Russia: 0 reported, 1 attributed, 2 speculative"),
    ("nk_sanatoriums", "Kim Jong Un", "Kim Jong Un: 1 reported, 1 attributed, 0 speculative"),
    ("vladivostok_summit", "Vladivostok", "Vladivostok: 1 reported, 0 attributed, 0 speculative"),
])
def test_entity_label_counts(report, doc_id, name, line):
    assert entity_line(entity(article(report, doc_id), name)) == line


def test_entities_are_counted_once_per_sentence_and_kept_apart_by_kind():
    rows = records()[:2]
    rows[1] = copy.deepcopy(rows[1])
    rows[1]["entities"] += [dict(rows[1]["entities"][0]), {**rows[1]["entities"][0], "label": "ACTOR"}]
    a = build_report(rows)["articles"][0]
    assert entity(a, "North Korea")["claims"] == 1
    assert [e["label"] for k in ("actors", "places") for e in a["entities"][k] if e["text"] == "North Korea"] == \
        ["ACTOR", "PLACE"]


def test_corpus_rankings(report):
    rankings = report["corpus"]["rankings"]
    assert [r["doc_id"] for r in rankings["anonymous"]] == ["nk_sanatoriums"]
    assert [r["doc_id"] for r in rankings["speculation"]] == ["vladivostok_summit", "nk_sanatoriums"]
    assert [e["text"] for e in rankings["entities_by_speculation"]] == ["Russia", "North Korea"]
    assert report["corpus"]["documents"] == 2 and report["errors"][0]["doc_id"] == "broken_article"


@pytest.mark.parametrize("more, fewer", [((4, 6), (1, 1)), ((3, 3), (2, 2)), ((1, 2), (0, 5))])
def test_speculation_ranking_prefers_evidence(more, fewer):
    assert wilson_lower(*more) > wilson_lower(*fewer)


def _summary(counts: dict, anonymous: int = 0, low: int = 0) -> dict:
    claims = sum(counts.values())
    return {
        "claims": claims,
        "labels": {l: {"count": counts.get(l, 0), "share": counts.get(l, 0) / claims if claims else None} for l in LABELS},
        "sources": {"attributed_claims": counts.get("attribution", 0), "anonymous_attributed": anonymous,
                    "anonymous_share": anonymous / counts["attribution"] if counts.get("attribution") else None},
        "low_confidence": {"count": low},
    }


@pytest.mark.parametrize("counts, anonymous, low, expected", [
    ({"attribution": 6, "speculation": 5}, 4, 0, "mostly attributed to anonymous sources; 5 speculative claims"),
    ({"attribution": 6, "reported_fact": 2}, 1, 0, "mostly attributed; 1 of 6 attributed claims rest on anonymous sources"),
    ({"reported_fact": 9, "speculation": 1}, 0, 2, "mostly reported as fact; 1 speculative claim; 2 low-confidence sentences"),
    ({"speculation": 3, "reported_fact": 1}, 0, 0, "mostly speculative"),
    ({"reported_fact": 4, "attribution": 3, "speculation": 3}, 0, 0,
     "mixed: 40% fact, 30% attributed, 30% speculative; 3 speculative claims"),
    ({}, 0, 0, "no claims found"),
])
def test_verdict(counts, anonymous, low, expected):
    assert verdict(_summary(counts, anonymous, low)) == expected


@pytest.mark.parametrize("meta, expected", [
    ({"calibration": {"low_confidence_threshold": 0.55}}, (0.55, "model:calibration.low_confidence_threshold")),
    ({"metrics": {"test": {"calibration": {"low_confidence_threshold": 0.7}}}},
     (0.7, "model:metrics.test.calibration.low_confidence_threshold")),
    ({"calibration": {"low_confidence_threshold": 1.5}}, (DEFAULT_THRESHOLD, "default")),
    ({"calibration": {"low_confidence_threshold": "high"}}, (DEFAULT_THRESHOLD, "default")),
    ({"calibration": None}, (DEFAULT_THRESHOLD, "default")),
    (None, (DEFAULT_THRESHOLD, "default")),
])
def test_threshold_from_meta(meta, expected):
    assert threshold_from_meta(meta) == expected


def test_threshold_option_wins_over_meta():
    r = build_report(records(), meta={"calibration": {"low_confidence_threshold": 0.9}}, threshold=0.53)
    assert r["threshold"] == {"value": 0.53, "source": "option"}
    assert [s["index"] for s in article(r, "nk_sanatoriums")["low_confidence"]["sentences"]] == [6]


BINS = [{"lower": 0.5, "upper": 0.75, "count": 10, "confidence": 0.62, "accuracy": 0.5},
        {"lower": 0.75, "upper": 1.0, "count": 0, "confidence": None, "accuracy": None}]


@pytest.mark.parametrize("meta, expected", [
    (None, None),
    ({"name": "m", "version": 2}, {"name": "m-2"}),
    ({"name": "m", "version": 2, "metrics": {"test": {"macro_f1": 0.7, "per_label": {"speculation": {"f1": 0.5}},
                                                      "calibration": {"ece": 0.04, "reliability": BINS}}}},
     {"name": "m-2", "test": {"macro_f1": 0.7, "f1": {"speculation": 0.5}, "ece": 0.04, "reliability": BINS}}),
    ({"name": "m", "version": 2, "metrics": {"dev": "garbled", "test": {"calibration": {"reliability": "x"}}}},
     {"name": "m-2", "test": {}}),
])
def test_model_reliability(meta, expected):
    assert model_reliability(meta) == expected


@pytest.mark.parametrize("ids, expected", [
    ([("a", 0), ("a", 1), ("b", 0)], ["a", "b"]),
    ([("a", 0), ("a", 1), ("a", 0), ("a", 1)], ["a", "a"]),  # the same name twice: two articles, not one
    ([("a", 0), ("b", 0), ("a", 0)], ["a", "b", "a"]),
])
def test_articles_are_runs_of_records(ids, expected):
    template = records()[1]
    rows = [{**template, "doc_id": d, "index": i} for d, i in ids]
    assert [a["doc_id"] for a in build_report(rows)["articles"]] == expected


claim = st.fixed_dictionaries({
    "doc_id": st.sampled_from(["a", "b", "c"]),
    "label": st.sampled_from([*LABELS, None]),
    "confidence": st.floats(0.34, 1.0),
    "source": st.one_of(st.none(), st.sampled_from(["anonymous", "official_anonymous", "named_person", "public"])),
    "entities": st.lists(st.sampled_from(["Russia", "Seoul", "Putin"]), max_size=3),
})


def _record(i: int, spec: dict) -> dict:
    label = spec["label"]
    return {
        "doc_id": spec["doc_id"], "index": i, "start": 0, "end": 1, "text": "x", "label": label,
        "skipped": None if label else "tag line", "confidence": spec["confidence"] if label else None,
        "probs": {l: (spec["confidence"] if l == label else (1 - spec["confidence"]) / 2) for l in LABELS} if label else None,
        "cues": [], "source": {"text": "s", "type": spec["source"], "start": 0, "end": 1} if spec["source"] else None,
        "entities": [{"text": e, "label": "ACTOR" if e == "Putin" else "PLACE", "type": None, "id": None,
                      "start": 0, "end": 1} for e in spec["entities"]],
        "quote": None, "model": "m-1",
    }


@settings(max_examples=60, deadline=None)
@given(st.lists(claim, max_size=40), st.floats(0.4, 0.9))
def test_aggregates_add_up(specs, threshold):
    rows = [_record(i, spec) for i, spec in enumerate(specs)]
    r = build_report(rows, threshold=threshold)
    VALIDATOR.validate(r)
    corpus = r["corpus"]
    claims = [row for row in rows if row["label"]]
    assert corpus["claims"] == len(claims) == sum(a["claims"] for a in r["articles"])
    assert corpus["segments"] == len(rows)
    assert sum(b["count"] for b in corpus["confidence_histogram"]) == len(claims)
    assert corpus["low_confidence"]["count"] == sum(row["confidence"] < threshold for row in claims)
    for summary in (corpus, *r["articles"]):
        assert sum(s["count"] for s in summary["labels"].values()) == summary["claims"]
        if summary["claims"]:
            assert sum(s["share"] for s in summary["labels"].values()) == pytest.approx(1, abs=1e-3)
        sources = summary["sources"]
        assert sources["anonymous_attributed"] <= sources["attributed_with_source"] <= sources["attributed_claims"]
        for kind in ("actors", "places"):
            for e in summary["entities"][kind]:
                assert sum(e["counts"].values()) == e["claims"] <= summary["claims"]
    for label in LABELS:
        assert corpus["labels"][label]["count"] == sum(a["labels"][label]["count"] for a in r["articles"])


# ----------------------------------------------------------------------------- JSON schema and views

def test_schema_is_valid_and_strict(report):
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(report, SCHEMA)
    for broken in ({**report, "schema_version": 2}, {k: v for k, v in report.items() if k != "corpus"},
                   {**report, "threshold": {"value": 0, "source": "x"}}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, SCHEMA)


def _meta_dir(tmp_path: Path) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    meta = {"name": "claimlens-news", "version": 9, "metrics": {"test": {
        "sentences": 100, "accuracy": 0.8, "macro_f1": 0.75, "per_label": {l: {"f1": 0.7} for l in LABELS},
        "calibration": {"ece": 0.05, "reliability": BINS, "low_confidence_threshold": 0.56}}}}
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    return tmp_path


def test_json_output_validates(tmp_path):
    result = run(str(RECORDS), "--format", "json", "--model", str(_meta_dir(tmp_path)))
    assert result.exit_code == 1, result.output  # RECORDS holds one failed article, broken_article
    data = json.loads(result.stdout)
    VALIDATOR.validate(data)
    assert data["threshold"] == {"value": 0.56, "source": "model:metrics.test.calibration.low_confidence_threshold"}
    assert data["model"]["test"]["ece"] == 0.05 and data["model"]["test"]["reliability"] == BINS
    assert "sentences" not in data["articles"][0]


def test_table_through_cli(tmp_path):
    result = run(str(RECORDS), "--model", str(_meta_dir(tmp_path)))
    assert result.exit_code == 1, result.output  # broken_article failed
    out = flat(result.stdout)
    for phrase in (
        "nk_sanatoriums", "vladivostok_summit", "Across 2 articles",
        "Verdict: mostly attributed to anonymous sources; 2 speculative claims; 2 low-confidence sentences",
        "reported_fact 1 14% 0.81", "attribution 4 57% 0.81", "speculation 2 29% 0.65",
        "3 of 4 attributed claims (75%) rest on anonymous sources",
        "Low-confidence sentences (confidence < 0.56)", "6 attribution 0.52 0.24 / 0.52 / 0.24",
        "Russia: 0 reported, 1 attributed, 2 speculative",
        "Most dependent on anonymous sources", "Most speculative articles",
        "Model claimlens-news-9", "Reliability on the test split", "broken_article empty: the article has no text",
    ):
        assert phrase in out, phrase
    assert "The source said the beds sit unused." in out


def test_markdown_view(report):
    stream = io.StringIO()
    render_markdown(report, stream)
    text = stream.getvalue()
    assert text.startswith("# claimlens report\n")
    assert "### nk_sanatoriums" in text and "## Across 2 articles" in text
    assert "| attribution | 4 | 57% | 0.81 |" in text
    assert "- Russia: 0 reported, 1 attributed, 2 speculative" in text
    rows = [line for line in text.splitlines() if line.startswith("|")]
    assert all(line.endswith("|") for line in rows)


def test_markdown_escapes_pipes():
    rows = records()[:2]
    rows[1] = {**rows[1], "confidence": 0.4, "text": "A | B"}
    stream = io.StringIO()
    render_markdown(build_report(rows), stream)
    assert "A \\| B" in stream.getvalue()


# ----------------------------------------------------------------------------- inputs

def test_classify_output_detected_by_content(tmp_path):
    rows = records()
    # Not named .jsonl-like "classify": starts with an error record, gzipped, odd suffix.
    variants = {
        "out.ndjson": "\n".join(json.dumps(r) for r in rows).encode(),
        "errors_first.jsonl": "\n".join(json.dumps(r) for r in [rows[9], *rows]).encode(),
        "packed.jsonl.gz": gzip.compress("\n".join(json.dumps(r) for r in rows).encode()),
        "UPPER.JSONL": "\n".join(json.dumps(r) for r in rows).encode(),  # suffixes match in any case
        "bom_blank.jsonl": b"\xef\xbb\xbf\n" + "\n".join(json.dumps(r) for r in rows).encode(),  # BOM, blank line
    }
    expected = build_report(rows)["corpus"]["labels"]
    for name, data in variants.items():
        path = tmp_path / name
        path.write_bytes(data)
        assert make_report([str(path)])["corpus"]["labels"] == expected, name


@pytest.mark.parametrize("name", ["R.JSONL", "R.Jsonl.GZ", "R.NDJSON"])
@pytest.mark.parametrize("command", ["entities", "suggest"])
def test_classify_output_with_an_upper_case_suffix_is_refused_as_articles(tmp_path, name, command):
    path = tmp_path / name
    data = RECORDS.read_bytes()
    path.write_bytes(gzip.compress(data) if name.endswith("GZ") else data)
    result = runner.invoke(app, [command, str(path)])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == (f"claimlens: error: {path}: this is classify output (sentence records), "
                                     f"not articles: give {command} the articles it was made from")


@pytest.mark.parametrize("command", ["entities", "suggest"])
def test_classify_output_on_stdin_is_refused_as_articles_and_articles_on_stdin_are_read(command):
    result = runner.invoke(app, [command, "-"], input=RECORDS.read_bytes())
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == ("claimlens: error: -: this is classify output (sentence records), "
                                     f"not articles: give {command} the articles it was made from")
    articles = b'{"id": "a", "text": "Officials said the talks in Seoul would resume."}\n'
    result = runner.invoke(app, [command, "-"], input=articles)
    assert result.exit_code == 0, result.output
    assert result.stdout


def test_stdin_records():
    result = run("-", "--format", "json", stdin=RECORDS.read_bytes())
    assert result.exit_code == 1, result.output  # broken_article failed
    assert json.loads(result.stdout)["corpus"]["claims"] == 10


def test_exit_status_says_whether_every_document_made_it(tmp_path):
    clean = tmp_path / "clean.jsonl"
    clean.write_text("".join(line + "\n" for line in RECORDS.read_text().splitlines() if '"error"' not in line))
    assert run(str(clean), "--format", "json").exit_code == 0
    assert run(str(RECORDS), "--format", "json").exit_code == 1


def test_an_article_reusing_an_id_is_a_duplicate_id_error(tmp_path):
    articles = tmp_path / "articles.jsonl"
    articles.write_text("".join(json.dumps({"id": doc_id, "text": text}) + "\n" for doc_id, text in [
        ("a", "Officials said the talks would resume."), ("b", "The talks may resume."),
        ("a", "A different article under the same id.")]))
    result = run(str(articles), "--format", "json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert [article["doc_id"] for article in data["articles"]] == ["a", "b"]
    assert [(e["doc_id"], e["error"]["type"]) for e in data["errors"]] == [("a", "duplicate_id")]


def test_ids_are_unique_across_a_reports_inputs(tmp_path):
    """Records files and articles share one set of ids: a later document reusing one is a duplicate_id error."""
    ids = list(dict.fromkeys(r["doc_id"] for r in records() if "error" not in r))
    articles = tmp_path / "articles.jsonl"
    articles.write_text(json.dumps({"id": ids[0], "text": "The talks may resume."}) + "\n"
                        + json.dumps({"id": "fresh", "text": "Officials said the talks would resume."}) + "\n")
    data = json.loads(run(str(RECORDS), str(articles), str(RECORDS), "--format", "json").stdout)
    assert [article["doc_id"] for article in data["articles"]] == [*ids, "fresh"]
    duplicates = [e["doc_id"] for e in data["errors"] if e["error"]["type"] == "duplicate_id"]
    # The article, then every document of the second copy, the failed one included.
    assert duplicates == [ids[0], *dict.fromkeys(r["doc_id"] for r in records())]


def test_bad_lines_in_a_records_file_become_errors(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_text(RECORDS.read_text() + "not json\n[1, 2]\n")
    report = make_report([str(path)])
    assert [e["error"]["type"] for e in report["errors"]] == ["empty", "not_json", "not_record"]


def test_a_truncated_gzip_records_file_reports_what_it_holds_and_an_unreadable_error(tmp_path):
    rows = [{**row, "doc_id": f"{row['doc_id']}-{copy}"} for copy in range(40) for row in records()]
    packed = gzip.compress("".join(json.dumps(row) + "\n" for row in rows).encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(packed[:len(packed) // 2])
    result = run(str(path), "--format", "json")
    assert result.exit_code == 1, result.output  # not click's "Aborted."
    data = json.loads(result.stdout)
    assert data["articles"] and data["errors"][-1]["doc_id"] == "cut.jsonl.gz:?"
    assert data["errors"][-1]["error"]["type"] == "unreadable"
    assert "cannot read the file after line" in data["errors"][-1]["error"]["message"]


# A hand-edited classify output: a record the report cannot count is a not_record error naming its line and
# field (exit 1, in every format), and its article is still reported, less that line.
@pytest.mark.parametrize("line, field, value, message", [
    (3, "label", "banana", '"label" is not one of reported_fact, attribution, speculation or null: "banana"'),
    (3, "doc_id", ["x"], '"doc_id" is not a string: ["x"]'),
    (3, "index", "a", '"index" is not an integer or null: "a"'),
    (3, "probs", "abc", '"probs" is not an object of probabilities (0 to 1) or null: "abc"'),
    (3, "probs", {"attribution": -0.5}, '"probs" is not an object of probabilities (0 to 1) or null: {"attribution": -0.5}'),
    (3, "probs", {"attribution": float("inf")},
     '"probs" is not an object of probabilities (0 to 1) or null: {"attribution": Infinity}'),
    (3, "confidence", "high", '"confidence" is not a probability (0 to 1) or null: "high"'),
    (3, "confidence", 7, '"confidence" is not a probability (0 to 1) or null: 7'),
    (3, "confidence", float("nan"), '"confidence" is not a probability (0 to 1) or null: NaN'),
    (3, "model", 5, '"model" is not a string or null: 5'),
    (1, "model", ["x"], '"model" is not a string or null: ["x"]'),  # the line that says what the file holds
    (3, "text", 5, '"text" is not a string: 5'),
    (3, "entities", [{"text": ["x"]}], '"entities" is not a list of entities (text, label, type, id): [{"text": ["x"]}]'),
    (3, "source", "x", '"source" is not a source (text, type) or null: "x"'),
    (3, "cues", [{"text": None}], '"cues" is not a list of cues (text, type): [{"text": null}]'),
])
def test_a_record_the_report_cannot_count_is_an_error_naming_its_line(tmp_path, line, field, value, message):
    rows = records()
    rows[line - 1] = {**rows[line - 1], field: value}
    path = tmp_path / "edited.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    clean = build_report(records())
    for fmt in ("table", "markdown", "html", "json"):
        result = run(str(path), "--format", fmt)
        assert result.exit_code == 1, (fmt, result.output)
        assert isinstance(result.exception, SystemExit), (fmt, result.exception)  # not a traceback
    data = json.loads(result.stdout, parse_constant=strict_json)
    assert [(e["doc_id"], e["error"]["type"]) for e in data["errors"]] == [
        (f"edited.jsonl:{line}", "not_record"), ("broken_article", "empty")]
    assert data["errors"][0]["error"]["message"] == f"line {line} is not a classify record: {message}"
    assert [a["doc_id"] for a in data["articles"]] == [a["doc_id"] for a in clean["articles"]]
    assert data["articles"][0]["segments"] == clean["articles"][0]["segments"] - 1


@pytest.mark.parametrize("field", ["text", "probs", "cues", "entities", "source", "quote"])
def test_a_low_confidence_record_without_a_field_is_reported_in_every_format(tmp_path, field):
    rows = [row for row in records() if "error" not in row]
    rows[2] = {key: value for key, value in {**rows[2], "confidence": 0.3}.items() if key != field}
    path = tmp_path / "edited.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    for fmt in ("table", "markdown", "html", "json"):
        result = run(str(path), "--format", fmt)
        assert result.exit_code == 0, (fmt, result.output)


# Lines of a records file that json.loads refuses, or that no report could be written with: one error each, in
# every format, and the records around them are reported.
@pytest.mark.parametrize("line, error, message", [
    (b'{"doc_id": "x", "index": 0, "n": ' + b"9" * 5000 + b"}", "not_json", "line 14 is not JSON (a number has too many digits)"),
    (b'{"doc_id": "x", "n": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "not_json", "line 14 is not JSON (nested too deeply)"),
    (b"\xff\xfe{}", "not_json", "line 14 is not JSON (not UTF-8 at byte 0)"),
    (b'{"doc_id": "s\\udfff", "index": 0, "label": null}', "not_record",
     "line 14 is not a classify record: a string holds an unpaired surrogate (a \\ud800-\\udfff escape), which is not text"),
    (b'{"doc_id": "s", "index": 0, "label": "attribution", "text": "Bad \\ud800 x."}', "not_record",
     "line 14 is not a classify record: a string holds an unpaired surrogate (a \\ud800-\\udfff escape), which is not text"),
    # Hand-edited error records: the report shows their type and message, so both must be strings.
    (b'{"doc_id": "c1", "error": "boom"}', "not_record",
     'line 14 is not a classify record: "error" is not an error (type, message): "boom"'),
    (b'{"doc_id": "c1", "error": {}}', "not_record",
     'line 14 is not a classify record: "error" is not an error (type, message): {}'),
    (b'{"doc_id": "c1", "error": {"type": 5, "message": "x"}}', "not_record",
     'line 14 is not a classify record: "error" is not an error (type, message): {"type": 5, "message": "x"}'),
])
def test_records_no_report_can_hold_are_errors_in_every_format(tmp_path, line, error, message):
    path = tmp_path / "out.jsonl"
    emoji = b'{"doc_id": "emoji", "index": 0, "label": "attribution", "confidence": 0.9, "text": "Hi \\ud83d\\ude00."}'
    path.write_bytes(RECORDS.read_bytes() + line + b"\n" + emoji + b"\n")
    for fmt in ("table", "markdown", "html", "json"):
        result = run(str(path), "--format", fmt)
        assert result.exit_code == 1, (fmt, result.output)
        assert isinstance(result.exception, SystemExit), (fmt, result.exception)
    data = json.loads(result.stdout)
    assert data["errors"][-1] == {"doc_id": "out.jsonl:14", "error": {"type": error, "message": message}}
    assert data["articles"][-1]["doc_id"] == "emoji"  # an escaped emoji is a character, not a lone surrogate


@pytest.mark.parametrize("args, code, message", [
    (["missing.jsonl"], 2, "no such file"),
    (["--threshold", "1.5", str(RECORDS)], 2, "--threshold"),
    (["--format", "pdf", str(RECORDS)], 2, "--format"),
])
def test_bad_input(args, code, message):
    result = run(*args)
    assert result.exit_code == code
    assert message in flat(result.output)


def test_report_from_articles_equals_report_from_classify_output(seed_path, tmp_path):
    """Acceptance: `claimlens report seeds/` and the same from a classify output file agree."""
    out = tmp_path / "seed.jsonl"
    result = runner.invoke(app, ["classify", str(seed_path.parent), "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    from_file = run(str(out), "--format", "json")
    from_articles = run(str(seed_path.parent), "--format", "json")
    assert from_file.exit_code == from_articles.exit_code == 0
    assert json.loads(from_file.stdout) == json.loads(from_articles.stdout)


def test_seed_table(seed_path):
    """Acceptance: counts per label, anonymous share, low-confidence sentences, actors and places."""
    data = json.loads(run(str(seed_path.parent), "--format", "json", "--threshold", "0.9").stdout)
    seed = data["articles"][0]
    result = run(str(seed_path.parent), "--threshold", "0.9")
    assert result.exit_code == 0, result.output
    out = flat(result.stdout)
    assert seed["doc_id"] in out and seed["verdict"] in out
    for label in LABELS:
        stats = seed["labels"][label]
        assert f"{label} {stats['count']} " in out
    sources = seed["sources"]
    assert f"{sources['anonymous_attributed']} of {sources['attributed_claims']} attributed claims" in out
    assert "Low-confidence sentences (confidence < 0.90)" in out
    for sentence in seed["low_confidence"]["sentences"]:
        assert f"{sentence['index']} {sentence['label']} {sentence['confidence']:.2f}" in out
    assert "Actors" in out and "Places" in out
    for e in seed["entities"]["places"][:10]:
        assert entity_line(e) in out


@pytest.mark.parametrize("n, text", [(0, "0 failed inputs"), (1, "1 failed input"), (2, "2 failed inputs")])
def test_counts_agree_with_their_noun(n, text):
    assert counted(n, "failed input") == text


@pytest.mark.parametrize("meta_text, model_line", [
    (None, "Model claimlens-news-9"),  # the installed model the records name gives the reliability section
    ("[1, 2]", None),  # a hand-edited meta.json is skipped, as an uninstalled model is
    ("{not json", None),
])
def test_report_reads_the_meta_of_the_model_the_records_name(tmp_path, monkeypatch, meta_text, model_line):
    model_dir = _meta_dir(tmp_path / "claimlens-news-1")
    if meta_text is not None:
        (model_dir / "meta.json").write_text(meta_text)
    monkeypatch.setenv("CLAIMLENS_MODELS_DIR", str(tmp_path))
    result = run(str(RECORDS))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)  # broken_article failed, no crash
    assert (model_line in flat(result.stdout)) if model_line else "Reliability on the test split" not in result.stdout
