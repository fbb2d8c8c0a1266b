"""Suggest: scoring strategies, selection (near-duplicates, exclusions, per-document cap), the command."""
from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from nlp import LABELS
from nlp.cli import app
from nlp.errors import UsageError
from nlp.label_import import sentence_key
from nlp.suggest import Candidate, jaccard, scores, select, shingles

runner = CliRunner()

# Columns: reported_fact, attribution, speculation.
SURE = [0.98, 0.01, 0.01]
TORN = [0.49, 0.49, 0.02]  # two labels tie
FLAT = [1 / 3, 1 / 3, 1 / 3]
LEANING = [0.6, 0.3, 0.1]


@pytest.mark.parametrize("strategy,rows,order", [
    ("uncertainty", [SURE, LEANING, FLAT], [2, 1, 0]),
    ("entropy", [SURE, LEANING, FLAT], [2, 1, 0]),
    ("margin", [SURE, LEANING, TORN], [2, 1, 0]),
    # Margin puts a two-way tie above a flat row's uncertainty; least-confidence does not.
    ("margin", [FLAT, TORN], [0, 1]),
    ("uncertainty", [TORN, FLAT], [1, 0]),
])
def test_strategies_rank_uncertain_rows_first(strategy, rows, order):
    got = scores(np.array(rows), strategy, ["reported_fact"] * len(rows))
    assert list(np.argsort(-got, kind="stable")) == order


def test_disagreement_puts_model_vs_rules_first():
    rows = np.array([LEANING, SURE, FLAT])
    rules = ["reported_fact", "speculation", "reported_fact"]  # only row 1 disagrees with the model
    got = scores(rows, "disagreement", rules)
    assert int(np.argmax(got)) == 1
    assert got[2] > got[0]  # agreements ordered by uncertainty
    with pytest.raises(UsageError, match="cue-rule label"):
        scores(rows, "disagreement", None)
    with pytest.raises(UsageError, match="unknown strategy"):
        scores(rows, "random")


probability_rows = st.lists(st.floats(0.001, 1.0), min_size=3, max_size=3).map(lambda r: [x / sum(r) for x in r])


@given(st.lists(probability_rows, min_size=1, max_size=20), st.permutations(range(3)))
def test_scores_are_bounded_and_ignore_label_order(rows, perm):
    probs = np.array(rows)
    for strategy in ("uncertainty", "margin", "entropy"):
        got = scores(probs, strategy)
        assert np.all(got >= -1e-9) and np.all(got <= 1 + 1e-9)
        # Uncertainty measures do not depend on which label is which.
        assert np.allclose(got, scores(probs[:, list(perm)], strategy))
    got = scores(probs, "disagreement", ["speculation"] * len(rows))
    assert np.all(got >= 0) and np.all(got < 2)


def cand(doc: str, index: int, text: str, score: float) -> Candidate:
    return Candidate(doc_id=doc, index=index, start=0, end=len(text), text=text,
                     probs=dict(zip(LABELS, FLAT)), rule_label="reported_fact", score=score)


def test_select_collapses_near_duplicates_across_documents():
    cands = [
        cand("a", 0, "Officials said 12 people were killed in the attack on Monday.", 0.9),
        cand("b", 3, "Officials said 14 people were killed in the attack on Monday.", 0.8),  # digits differ
        cand("c", 1, "officials said 12 people were killed in the attack on monday", 0.7),  # case, punctuation
        cand("d", 2, "The minister resigned after the vote.", 0.6),
    ]
    result = select(cands, n=10)
    assert [c.doc_id for c in result.chosen] == ["a", "d"]
    assert result.chosen[0].near_duplicates == 2 and result.near_duplicates == 2


def test_select_respects_n_per_doc_and_exclusions():
    cands = [cand("a", i, f"Sentence number {w} about a different topic each time.", 1 - i / 10)
             for i, w in enumerate(["one", "two", "three", "four"])]
    cands.append(cand("b", 0, "Another document says something else entirely.", 0.1))
    result = select(cands, n=3, per_doc=2)
    assert [(c.doc_id, c.index) for c in result.chosen] == [("a", 0), ("a", 1), ("b", 0)]
    assert result.capped_by_doc == 2
    excluded = select(cands, n=1, exclude={sentence_key(cands[0].text)})
    assert [(c.doc_id, c.index) for c in excluded.chosen] == [("a", 1)] and excluded.excluded == 1
    # How many are already labelled does not depend on how many are asked for.
    labelled = {sentence_key(cands[0].text), sentence_key(cands[4].text)}
    assert [select(cands, n=n, exclude=labelled).excluded for n in (1, 2, 5)] == [2, 2, 2]
    for bad in ({"n": 0}, {"n": 1, "per_doc": 0}):
        with pytest.raises(UsageError):
            select(cands, **bad)


@pytest.mark.parametrize("a,b,near", [
    ("The talks collapsed on Monday.", "The talks collapsed on Tuesday.", False),
    ("Police said 3 people died in the crash on the highway.", "Police said 4 people died in the crash on the highway.", True),
    ("Yes.", "yes", True),
    ("Yes.", "No.", False),
])
def test_near_duplicate_threshold(a, b, near):
    assert (jaccard(shingles(a), shingles(b)) >= 0.8) is near


def write_articles(tmp_path, seed_text) -> str:
    path = tmp_path / "articles.jsonl"
    rows = [
        {"id": "seed", "text": seed_text},
        {"id": "seed_copy", "text": seed_text},  # syndicated copy: its sentences are near-duplicates
        {"id": "short", "text": "The talks may resume next week. Officials said the ceasefire held.\n\nIt rained."},
        {"id": "bad"},
        {"id": "short", "text": "A later article that reuses an id may not be suggested from."},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


@pytest.mark.parametrize("strategy", ["margin", "disagreement"])  # the others differ only in scores()
def test_suggest_command(tmp_path, seed_text, small_models, strategy):
    articles = write_articles(tmp_path, seed_text)
    result = runner.invoke(app, ["suggest", articles, "-n", "8", "--strategy", strategy, "--per-doc", "5",
                                 "--context", "1", "--model", str(small_models / "claimlens-news-1")])
    assert result.exit_code == 1, result.output  # two inputs were skipped: "bad" and the second "short"
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 8
    texts = {"seed": seed_text, "seed_copy": seed_text,
             "short": "The talks may resume next week. Officials said the ceasefire held.\n\nIt rained."}
    for record in records:
        assert "label" not in record  # a suggestion is not a label: importing it unlabelled must fail
        assert record["text"] == texts[record["doc_id"]][record["start"]:record["end"]]
        assert record["model_label"] in LABELS and sum(record["probs"].values()) == pytest.approx(1, abs=1e-3)
        assert record["rule_label"] in LABELS and record["strategy"] == strategy
        assert len(record["context_before"]) <= 1 and len(record["context_after"]) <= 1
    assert [r["score"] for r in records] == sorted((r["score"] for r in records), reverse=True)
    per_doc = {}
    for record in records:
        per_doc[record["doc_id"]] = per_doc.get(record["doc_id"], 0) + 1
    assert max(per_doc.values()) <= 5
    # The copy's sentences are the seed's: none is suggested twice.
    assert len({sentence_key(r["text"]) for r in records}) == len(records)
    assert "articles.jsonl:4: skipped bad" in result.stderr and "near-duplicates collapsed" in result.stderr
    assert "articles.jsonl:5: skipped short: id 'short' is already used by an earlier document" in result.stderr


def test_suggest_excludes_labelled_sentences(tmp_path, seed_path, small_models, monkeypatch):
    monkeypatch.setenv("CLAIMLENS_MODELS_DIR", str(small_models))
    first = runner.invoke(app, ["suggest", str(seed_path), "-n", "3", "-q"])
    labelled = tmp_path / "done.jsonl"
    labelled.write_text("".join(json.dumps({"text": json.loads(line)["text"], "label": "reported_fact"}) + "\n"
                                for line in first.stdout.splitlines()))
    out = tmp_path / "next.jsonl"
    second = runner.invoke(app, ["suggest", str(seed_path), "-n", "3", "--exclude", str(labelled), "-o", str(out)])
    assert second.exit_code == 0, second.output
    before = {json.loads(line)["text"] for line in first.stdout.splitlines()}
    after = {json.loads(line)["text"] for line in out.read_text().splitlines()}
    assert len(after) == 3 and not before & after
    assert "3 already labelled" in second.stderr


def test_suggest_usage_errors(seed_path, small_models, monkeypatch):
    monkeypatch.setenv("CLAIMLENS_MODELS_DIR", str(small_models))
    assert runner.invoke(app, ["suggest", str(seed_path), "--strategy", "random"]).exit_code == 2
    assert runner.invoke(app, ["suggest", str(seed_path), "-n", "0"]).exit_code == 2
    assert runner.invoke(app, ["suggest", "/nonexistent"]).exit_code == 2


def test_suggest_reads_an_article_longer_than_spacy_allows_in_pieces(tmp_path, small_models):
    from nlp.suggest import suggest

    # 1,118,000 characters (spaCy's limit is 1,000,000), then one sentence only the last piece holds.
    huge = "Officials in Seoul said the army may fire. " * 26_000 + "Rebels claimed the bridge might collapse."
    after = "The talks may resume next week."
    articles = tmp_path / "articles.jsonl"
    articles.write_text(json.dumps({"id": "huge", "text": huge}) + "\n"
                        + json.dumps({"id": "after", "text": after}) + "\n", encoding="utf-8")
    result = suggest([str(articles)], model=str(small_models / "claimlens-news-1"), n=10)
    assert result.documents == 2 and not result.problems
    texts = {"huge": huge, "after": after}
    by_text = {record["text"]: record for record in result.records}
    assert set(by_text) == {"Officials in Seoul said the army may fire.", "Rebels claimed the bridge might collapse.",
                            after}
    for record in result.records:
        assert record["text"] == texts[record["doc_id"]][record["start"]:record["end"]]
    assert by_text["Rebels claimed the bridge might collapse."]["index"] == 26_000
