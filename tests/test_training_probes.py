"""Scripts that measure the model: split_spread.py (scores on random sets of train documents), transformer_probe.py
(its folds and ensemble) and model_history.py (each committed model's dev and test scores)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO, load_script

from nlp import LABELS
from nlp.corpus import default_data_dir, read_splits

FACT, ATTR, SPEC = LABELS
# Three documents with one sentence of each label; the model swaps fact and attribution in document "c".
GROUPS = ["a"] * 3 + ["b"] * 3 + ["c"] * 3
GOLD = [FACT, ATTR, SPEC] * 3
PREDICTED = [FACT, ATTR, SPEC] * 2 + [ATTR, FACT, SPEC]


@pytest.fixture(scope="module")
def spread():
    return load_script("training/split_spread.py")


def test_perfect_predictions_score_one_on_every_draw(spread):
    scores = spread.subset_scores(GOLD, GOLD, GROUPS, n_docs=2, draws=20)
    assert set(scores) == {"macro_f1", "f1_reported_fact", "f1_attribution", "f1_speculation"}
    assert all(len(values) == 20 for values in scores.values())
    assert (scores["macro_f1"] == 1.0).all() and (scores["f1_speculation"] == 1.0).all()


def test_all_documents_in_every_draw_give_the_whole_set_score(spread):
    scores = spread.subset_scores(GOLD, PREDICTED, GROUPS, n_docs=3, draws=5)
    # fact and attribution: 2 of 3 right, 2 of 3 predictions right; speculation: all right.
    assert scores["macro_f1"] == pytest.approx(np.full(5, (2 / 3 + 2 / 3 + 1) / 3))
    assert spread.summary(scores)["macro_f1"]["sd"] == 0.0


def test_draws_differ_when_documents_do(spread):
    scores = spread.subset_scores(GOLD, PREDICTED, GROUPS, n_docs=1, draws=200, seed=3)
    # A draw of "a" or "b" alone is perfect; "c" alone has only speculation right.
    assert set(np.round(scores["macro_f1"], 6)) == {round(1 / 3, 6), 1.0}
    row = spread.summary(scores)["macro_f1"]
    assert row["p5"] == pytest.approx(1 / 3, abs=1e-4) and row["p95"] == 1.0 and 0.6 < row["mean"] < 0.9


@pytest.mark.parametrize("n_docs, draws, message", [
    (0, 10, "--docs must be between 1 and the 3 train documents; got 0"),
    (4, 10, "--docs must be between 1 and the 3 train documents; got 4"),
    (2, 0, "--draws must be at least 1; got 0"),
])
def test_impossible_draws_are_refused(spread, n_docs, draws, message):
    with pytest.raises(ValueError, match=message):
        spread.subset_scores(GOLD, PREDICTED, GROUPS, n_docs=n_docs, draws=draws)


def test_command_refuses_more_documents_than_train_has_before_cross_validating():
    env = {**os.environ, "PYTHONPATH": str(REPO)}  # the package, also when it is not installed
    result = subprocess.run([sys.executable, "training/split_spread.py", "--docs", "500"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    n_train = len(read_splits(default_data_dir())["train"])
    assert f"--docs must be between 1 and the {n_train} train documents; got 500" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def probe():
    return load_script("training/transformer_probe.py")


def test_probe_folds_keep_documents_whole_and_balanced(probe):
    groups = [f"doc{i // 3}" for i in range(3 * 23)]  # 23 documents of 3 sentences
    folds = probe.fold_of(groups)
    assert all(len(set(folds[[i for i, g in enumerate(groups) if g == doc]])) == 1 for doc in set(groups))
    per_fold = np.bincount(folds) // 3
    assert sorted(per_fold.tolist()) == [4, 4, 5, 5, 5]
    assert (probe.fold_of(groups) == folds).all() and (probe.fold_of(groups, seed=1) != folds).any()


@pytest.mark.parametrize("a, b, expected", [
    ([[0.8, 0.1, 0.1]], [[0.8, 0.1, 0.1]], [[0.8, 0.1, 0.1]]),  # agreeing models: unchanged
    ([[0.9, 0.05, 0.05]], [[0.05, 0.9, 0.05]], [[0.4473, 0.4473, 0.1054]]),  # a tie between the two favourites
    ([[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]], [[0.5, 0.5, 0.0]]),  # zeros do not make NaN
])
def test_probe_ensemble_is_a_normalised_geometric_mean(probe, a, b, expected):
    got = probe.ensemble(np.array(a), np.array(b))
    assert got.sum(axis=1) == pytest.approx(1.0)
    assert got == pytest.approx(np.array(expected), abs=1e-4)


@pytest.fixture(scope="module")
def model_history():
    return load_script("training/model_history.py")


def _meta(dev: float | None, test: float, speculation: float = 0.5) -> str:
    split = lambda f1: {"macro_f1": f1, "per_label": {"speculation": {"f1": speculation}}}  # noqa: E731
    metrics = {"test": split(test)} | ({"dev": split(dev)} if dev is not None else {})
    return json.dumps({"name": "m", "metrics": metrics})


@pytest.mark.parametrize("text, expected", [
    (_meta(0.8, 0.7, 0.6), {"dev": (0.8, 0.6), "test": (0.7, 0.6)}),
    (_meta(None, 0.7), {"test": (0.7, 0.5)}),
    (json.dumps({"metrics": {"test": {"macro_f1": 0.7}}}), {"test": (0.7, None)}),  # no per-label figures
    (json.dumps({"metrics": {}}), None),
    (json.dumps({"name": "no metrics"}), None),
    (json.dumps([1, 2]), None),
    ("{not json", None),
])
def test_history_reads_dev_and_test_scores_from_meta(model_history, text, expected):
    assert model_history.scores(text) == expected


def test_history_lists_each_commit_of_the_model_oldest_first(model_history, tmp_path):
    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                       check=True, capture_output=True)

    git("init", "-q")
    meta = tmp_path / "models" / "m" / "meta.json"
    meta.parent.mkdir(parents=True)
    for subject, text in (("first", _meta(0.7, 0.6)), ("broken", "{"), ("second", _meta(0.9, 0.65))):
        meta.write_text(text)
        git("add", "-A")
        git("commit", "-q", "-m", subject)
    rows = model_history.history("models/m/meta.json", checkout=tmp_path)
    assert [row["subject"] for row in rows] == ["first", "second"]  # a meta.json without scores is skipped
    assert rows[-1]["dev"] == (0.9, 0.5) and rows[-1]["test"] == (0.65, 0.5)
