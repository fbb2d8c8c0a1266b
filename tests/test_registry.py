"""The model registry: train --add registers a new version, list shows it, promote gates on dev macro-F1."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nlp import LABELS
from nlp.cli import app
from nlp.errors import ModelError
from nlp.label_import import ConflictError, file_sha256
from nlp.registry import Comparison, PromotionRefused, compare, current_default, list_models, promote
from nlp.retrain import retrain

IMPORTS = Path(__file__).parent / "data" / "imports"
runner = CliRunner()


@pytest.fixture
def registry(tmp_path, small_models, monkeypatch) -> Path:
    root = tmp_path / "models"
    shutil.copytree(small_models, root)
    monkeypatch.setenv("CLAIMLENS_MODELS_DIR", str(root))
    monkeypatch.setenv("CLAIMLENS_SNAPSHOTS_DIR", str(tmp_path / "snapshots"))
    return root


@pytest.fixture(scope="module")
def two_models_once(small_models, small_corpus, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("two_models") / "models"
    shutil.copytree(small_models, root)
    retrain([IMPORTS / "claimlens.jsonl", IMPORTS / "labels.csv"], data_dir=small_corpus, out_root=root,
            snapshots_root=root.parent / "snapshots")
    return root


@pytest.fixture
def two_models(registry, two_models_once) -> Path:
    """claimlens-news-1 (default) and claimlens-news-2 trained with two label files added."""
    shutil.rmtree(registry)
    shutil.copytree(two_models_once, registry)
    return registry


def metrics(macro: float) -> dict:
    per_label = {label: {"precision": macro, "recall": macro, "f1": macro, "support": 10} for label in LABELS}
    return {"sentences": 30, "accuracy": macro, "macro_f1": macro, "per_label": per_label}


def fake_comparison(dev_old: float, dev_new: float, test_old: float = 0.5, test_new: float = 0.5) -> Comparison:
    return Comparison("claimlens-news-2", "claimlens-news-1", "somewhere", {
        "dev": {"baseline": metrics(dev_old), "candidate": metrics(dev_new)},
        "test": {"baseline": metrics(test_old), "candidate": metrics(test_new)},
    })


def test_retrain_registers_a_new_version_with_provenance(registry, small_corpus, tmp_path):
    result = retrain([IMPORTS / "claimlens.jsonl", IMPORTS / "labels.csv"], data_dir=small_corpus,
                     out_root=registry)
    assert result.model_dir == registry / "claimlens-news-2" and not result.promoted
    assert current_default(registry) == "claimlens-news-1"
    meta = json.loads((result.model_dir / "meta.json").read_text())
    training = meta["training_data"]
    assert [(Path(a["path"]).name, a["sha256"]) for a in training["added"]] == [
        ("claimlens.jsonl", file_sha256(IMPORTS / "claimlens.jsonl")),
        ("labels.csv", file_sha256(IMPORTS / "labels.csv")),
    ]
    assert training["sha256"] == training["snapshot"]["sha256"] == result.snapshot.sha256
    assert training["snapshot"]["base"]["dir"] == str(small_corpus)
    assert training["snapshot"]["sentences_added"] == 7
    assert Path(training["dir"]).parent == tmp_path / "snapshots"
    assert meta["versions"]["scikit-learn"] and meta["model_sha256"]
    # Both models measured on the same documents: the snapshot's dev and test splits.
    cmp = result.comparison
    assert cmp.candidate == "claimlens-news-2" and cmp.baseline == "claimlens-news-1"
    assert set(cmp.metrics) == {"dev", "test"}
    assert cmp.metrics["test"]["candidate"] == meta["metrics"]["test"]
    assert [row["label"] for row in cmp.per_label("test")] == list(LABELS)
    # The model loads: editing meta.json to add provenance did not break its verification.
    assert list_models(registry)[1].status == "ok"


def test_conflicts_stop_before_anything_is_written(registry, small_corpus, tmp_path):
    conflicting = tmp_path / "conflicting.jsonl"
    conflicting.write_text(
        json.dumps({"text": "The mill closed in 1990.", "label": "reported_fact"}) + "\n"
        + json.dumps({"text": "The mill closed in 1990.", "label": "attribution"}) + "\n"
    )
    with pytest.raises(ConflictError) as err:
        retrain([conflicting], data_dir=small_corpus, out_root=registry)
    assert [p.origin.line for p in err.value.report.conflicts] == [2]
    assert [m.dir_name for m in list_models(registry)] == ["claimlens-news-1"]
    assert not (tmp_path / "snapshots").exists()

    result = runner.invoke(app, ["train", "--data", str(small_corpus), "--add", str(conflicting)])
    assert result.exit_code == 2
    assert "conflicting.jsonl:2: conflict" in result.stderr and "--on-conflict" in result.stderr
    result = runner.invoke(app, ["train", "--data", str(small_corpus), "--add", str(conflicting),
                                 "--on-conflict", "keep-new"])
    assert result.exit_code == 0, result.output
    assert "conflicting.jsonl:2: conflict" in result.stderr  # resolved, and still reported


def test_models_list(two_models):
    infos = list_models(two_models)
    assert [(i.dir_name, i.default, i.status) for i in infos] == [
        ("claimlens-news-1", True, "ok"), ("claimlens-news-2", False, "ok")]
    result = runner.invoke(app, ["models", "list"])
    assert result.exit_code == 0, result.output
    assert "claimlens-news-2" in result.stdout and "*" in result.stdout
    rows = json.loads(runner.invoke(app, ["models", "list", "--format", "json"]).stdout)
    assert rows[1]["test"]["macro_f1"] == infos[1].metrics["test"]["macro_f1"]
    assert [Path(p).name for p in rows[1]["added_files"]] == ["claimlens.jsonl", "labels.csv"]


def test_a_tampered_model_is_listed_as_broken_and_never_promoted(two_models):
    path = two_models / "claimlens-news-2" / "model.joblib"
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))
    status = {i.dir_name: i.status for i in list_models(two_models)}
    assert status["claimlens-news-1"] == "ok" and "SHA-256" in status["claimlens-news-2"]
    with pytest.raises(ModelError, match="SHA-256"):
        promote("claimlens-news-2", force=True)
    assert current_default(two_models) == "claimlens-news-1"


@pytest.mark.parametrize("meta_text", [
    "[1, 2]",
    '{"name": "claimlens-news", "version": "x", "versions": "x", "metrics": [1], "training_data": "x"}',
    '{"name": "claimlens-news", "version": 3, "versions": {"spacy": 3}, "metrics": {"test": {"macro_f1": "high"}}}',
    '{"name": "claimlens-news", "version": 3, "created": 5}',
], ids=["list", "wrong-types", "spacy-number", "created-number"])
def test_a_model_with_a_hand_edited_meta_is_listed_as_broken_among_the_others(two_models, meta_text):
    broken = two_models / "claimlens-news-3"
    shutil.copytree(two_models / "claimlens-news-2", broken)
    (broken / "meta.json").write_text(meta_text)
    status = {i.dir_name: i.status for i in list_models(two_models)}
    assert status["claimlens-news-1"] == status["claimlens-news-2"] == "ok" and status["claimlens-news-3"] != "ok"
    for output_format in ("table", "json"):
        result = runner.invoke(app, ["models", "list", "--format", output_format])
        assert result.exit_code == 0, result.output
        assert all(name in result.stdout for name in ("claimlens-news-1", "claimlens-news-2", "claimlens-news-3"))


@pytest.mark.parametrize("lock", ["model dir", "model file"])
def test_an_unreadable_model_is_listed_as_broken_among_the_others(two_models, monkeypatch, lock):
    import pathlib

    unreadable = two_models / "claimlens-news-3"
    shutil.copytree(two_models / "claimlens-news-2", unreadable)
    locked = unreadable if lock == "model dir" else unreadable / "model.joblib"
    real_stat, real_open = pathlib.Path.stat, pathlib.Path.open

    def denied(path):  # chmod 000 does not stop root, who runs the tests in some containers
        if path == locked or locked in path.parents:
            raise PermissionError(13, "Permission denied", str(path))

    def stat(self, **kwargs):
        if self != locked:
            denied(self)
        return real_stat(self, **kwargs)

    def open_(self, *args, **kwargs):
        denied(self)
        return real_open(self, *args, **kwargs)

    def builtin_open(path, *args, **kwargs):  # how model_store hashes model.joblib
        denied(Path(path))
        return open(path, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "stat", stat)
    monkeypatch.setattr(pathlib.Path, "open", open_)
    monkeypatch.setattr("nlp.model_store.open", builtin_open, raising=False)
    status = {i.dir_name: i.status for i in list_models(two_models)}
    assert status["claimlens-news-1"] == status["claimlens-news-2"] == "ok"
    assert "claimlens-news-3" in status["claimlens-news-3"] and "Permission denied" in status["claimlens-news-3"]
    for output_format in ("table", "json"):
        result = runner.invoke(app, ["models", "list", "--format", output_format])
        assert result.exit_code == 0, result.output
        assert all(name in result.stdout for name in ("claimlens-news-1", "claimlens-news-2", "claimlens-news-3"))


def test_a_model_whose_meta_json_is_a_folder_is_listed_as_broken(two_models):
    shutil.copytree(two_models / "claimlens-news-2", two_models / "claimlens-news-3")
    (two_models / "claimlens-news-3" / "meta.json").unlink()
    (two_models / "claimlens-news-3" / "meta.json").mkdir()
    status = {i.dir_name: i.status for i in list_models(two_models)}
    assert "Is a directory" in status["claimlens-news-3"]


@pytest.mark.parametrize("make_dir, message", [
    (lambda tmp: tmp / "missing", "no such models directory"),
    (lambda tmp: tmp / "models.txt", "not a directory"),
])
def test_models_list_of_a_directory_that_is_not_there_is_an_error(tmp_path, make_dir, message):
    (tmp_path / "models.txt").write_text("not models\n")
    result = runner.invoke(app, ["models", "list", "--dir", str(make_dir(tmp_path))])
    assert result.exit_code == 2 and message in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize("dev_old,dev_new,force,promoted", [
    (0.70, 0.72, False, True),
    (0.70, 0.70, False, True),  # not worse
    (0.70, 0.69, False, False),
    (0.70, 0.69, True, True),
])
def test_promotion_gate_on_dev_macro_f1(two_models, dev_old, dev_new, force, promoted):
    # Test macro-F1 points the other way on purpose: dev decides, test is only shown.
    cmp = fake_comparison(dev_old, dev_new, test_old=dev_new, test_new=dev_old)
    if promoted:
        result = promote("claimlens-news-2", force=force, comparison=cmp)
        assert result.previous == "claimlens-news-1" and result.changed
        assert current_default(two_models) == "claimlens-news-2"
    else:
        with pytest.raises(PromotionRefused, match=r"worse .* dev macro-F1 \(0\.6900 < 0\.7000\).*--force"):
            promote("claimlens-news-2", comparison=cmp)
        assert current_default(two_models) == "claimlens-news-1"


def test_promote_command_compares_for_real(two_models):
    snapshot = json.loads((two_models / "claimlens-news-2" / "meta.json").read_text())["training_data"]["dir"]
    cmp = compare("claimlens-news-2", "claimlens-news-1", data_dir=Path(snapshot))
    result = runner.invoke(app, ["models", "promote", "claimlens-news-2"])
    assert "(new) vs" in result.stdout and "dev:" in result.stdout
    if cmp.worse:
        assert result.exit_code == 1 and "--force" in result.stderr
        assert current_default(two_models) == "claimlens-news-1"
        result = runner.invoke(app, ["models", "promote", "claimlens-news-2", "--force"])
    assert result.exit_code == 0, result.output
    assert current_default(two_models) == "claimlens-news-2"
    again = runner.invoke(app, ["models", "promote", "claimlens-news-2"])
    assert again.exit_code == 0 and "already the default" in again.stdout


def test_promote_on_a_malformed_splits_file_is_a_one_line_error(two_models, small_corpus, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(small_corpus, data)
    (data / "splits.json").write_text("[1,2")
    result = runner.invoke(app, ["models", "promote", "claimlens-news-2", "--data", str(data)])
    assert result.exit_code == 2 and f"{data / 'splits.json'}: not JSON" in result.stderr
    assert current_default(two_models) == "claimlens-news-1"


def test_promote_unknown_or_outside_models(two_models, tmp_path):
    result = runner.invoke(app, ["models", "promote", "claimlens-news-9"])
    assert result.exit_code == 2 and "claimlens-news-1, claimlens-news-2" in result.stderr
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(two_models / "claimlens-news-2", elsewhere / "claimlens-news-2")
    with pytest.raises(ModelError, match="only a model inside"):
        promote(elsewhere / "claimlens-news-2")


def test_train_add_promote_refuses_a_worse_model(registry, small_corpus, monkeypatch):
    import nlp.registry

    # Whatever the real numbers, a candidate measured as worse must not become the default.
    monkeypatch.setattr(nlp.registry, "compare", lambda *a, **k: fake_comparison(0.8, 0.7))
    result = runner.invoke(app, ["train", "--data", str(small_corpus), "--add", str(IMPORTS / "doccano.jsonl"),
                                 "--promote"])
    assert result.exit_code == 1 and "not promoted" in result.stderr
    assert (registry / "claimlens-news-2").is_dir() and current_default(registry) == "claimlens-news-1"
    result = runner.invoke(app, ["train", "--data", str(small_corpus), "--add", str(IMPORTS / "doccano.jsonl"),
                                 "--promote", "--force"])
    assert result.exit_code == 0, result.output
    assert current_default(registry) == "claimlens-news-3"


@pytest.fixture
def no_fitting(monkeypatch):
    import nlp.training

    def fit_estimator(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(nlp.training, "fit_estimator", fit_estimator)


@pytest.mark.parametrize("add", [[], ["--add", str(IMPORTS / "claimlens.jsonl")]], ids=["train", "train-add"])
def test_a_name_too_long_for_the_file_system_is_refused_before_training(registry, small_corpus, no_fitting, add):
    # 254 characters fit one directory name, but with the "-1" of the version they do not.
    result = runner.invoke(app, ["train", "--data", str(small_corpus), "--name", "n" * 254, *add])
    assert result.exit_code == 2 and "--name: 254 characters is too long" in result.stderr, result.output
    assert "at most 255 bytes" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert [m.dir_name for m in list_models(registry)] == ["claimlens-news-1"]


def test_a_name_that_fits_the_file_system_with_its_version_is_accepted(tmp_path):
    from nlp.training import check_destination

    check_destination(tmp_path / "models", "n" * 253)


@pytest.mark.parametrize("snapshots, message", [
    ("{tmp}/a.txt", "a.txt: not a directory (--snapshots names"),
    ("{tmp}/a.txt/snapshots", "a.txt: not a directory (--snapshots names"),
    ("/dev/full", "/dev/full: not a directory (--snapshots names"),
    ("{tmp}/read-only/snapshots", "read-only: cannot write (permission denied)"),
])
def test_train_add_refuses_snapshots_it_cannot_write_before_training(registry, small_corpus, no_fitting, tmp_path,
                                                                     monkeypatch, snapshots, message):
    import os

    (tmp_path / "a.txt").write_text("The army fired.\n")
    (tmp_path / "read-only").mkdir()
    real_access = os.access
    # chmod does not stop root, who runs the tests in some containers
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path).name != "read-only" and real_access(path, mode))
    result = runner.invoke(app, ["train", "--data", str(small_corpus), "--add", str(IMPORTS / "claimlens.jsonl"),
                                 "--snapshots", snapshots.format(tmp=tmp_path)])
    assert result.exit_code == 2 and message in result.stderr, result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert [m.dir_name for m in list_models(registry)] == ["claimlens-news-1"]


def test_promote_onto_a_default_that_is_a_directory_is_a_one_line_error(two_models):
    (two_models / "DEFAULT").unlink()
    (two_models / "DEFAULT").mkdir()
    result = runner.invoke(app, ["models", "promote", "claimlens-news-2"])
    assert result.exit_code == 2 and "DEFAULT: cannot make claimlens-news-2 the default" in result.stderr, result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (two_models / ".DEFAULT.tmp").exists()


@pytest.mark.parametrize("add", [[], ["--add", str(IMPORTS / "claimlens.jsonl")]], ids=["train", "train-add"])
def test_train_into_a_models_directory_whose_default_is_a_directory_is_refused_before_training(
        registry, small_corpus, no_fitting, add):
    (registry / "DEFAULT").unlink()
    (registry / "DEFAULT").mkdir()
    result = runner.invoke(app, ["train", "--data", str(small_corpus), *add])
    assert result.exit_code == 2 and "DEFAULT: not a file" in result.stderr, result.output


def test_labels_import_command(tmp_path):
    out, report = tmp_path / "clean.jsonl", tmp_path / "report.json"
    result = runner.invoke(app, ["labels", "import", str(IMPORTS / "prodigy_binary.jsonl"),
                                 str(IMPORTS / "labelstudio.json"), "--against", str(IMPORTS / "base"),
                                 "-o", str(out), "--report", str(report)])
    assert result.exit_code == 1, result.output  # a Label Studio task without a label was left out
    assert len(out.read_text().splitlines()) == 5
    summary = json.loads(report.read_text())
    assert summary["accepted"] == 5 and summary["problem_counts"] == {"not_accepted": 2, "missing_label": 1}
    assert [(Path(p["file"]).name, p["line"], p["code"]) for p in summary["problems"]] == [
        ("prodigy_binary.jsonl", 3, "not_accepted"), ("prodigy_binary.jsonl", 4, "not_accepted"),
        ("labelstudio.json", 26, "missing_label")]
    assert "prodigy_binary.jsonl:3: not_accepted" in result.stderr
    failed = runner.invoke(app, ["labels", "import", str(IMPORTS / "conflicts.jsonl"), "--against",
                                 str(IMPORTS / "base")])
    assert failed.exit_code == 2 and "3 conflicting labels" in failed.stderr
    aliased = runner.invoke(app, ["labels", "import", str(IMPORTS / "invalid_records.jsonl"), "--alias",
                                  "opinion=speculation", "--against", str(IMPORTS / "base")])
    assert "unknown_label" not in aliased.stderr and "accepted: 2 new sentences" in aliased.stderr


@pytest.mark.parametrize("on_conflict, written", [
    # keep-new: line 2 wins over line 1; lines 3 and 4 relabel corpus sentences and are written too.
    ("keep-new", [2, 3, 4, 5]),
    ("keep-old", [1, 5]),
])
def test_labels_import_writes_every_label_it_keeps(tmp_path, on_conflict, written):
    out = tmp_path / "clean.jsonl"
    result = runner.invoke(app, ["labels", "import", str(IMPORTS / "conflicts.jsonl"), "--against",
                                 str(IMPORTS / "base"), "--on-conflict", on_conflict, "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [int(row["origin"].rsplit(":", 1)[1]) for row in rows] == written


@pytest.mark.parametrize("content, code", [
    ("foo,bar\nThe talks may resume.,speculation\n", 1),  # no text and label columns: nothing imported
    ("text,label\nThe talks may resume.,speculation\n,attribution\n", 1),  # an empty text
    ("text,label\nThe talks may resume.,speculation\n", 0),
])
def test_labels_import_exit_status_says_whether_records_were_left_out(tmp_path, content, code):
    path = tmp_path / "labels.csv"
    path.write_text(content)
    result = runner.invoke(app, ["labels", "import", str(path), "--against", str(IMPORTS / "base")])
    assert result.exit_code == code, result.output


class StaleEstimator:
    """Loads like a model but fails when used, as a pickle from older feature code does."""

    classes_ = list(LABELS)

    def predict(self, X):
        raise AttributeError("'SentenceFeatures' object has no attribute 'word_weight'")


def test_a_stale_default_does_not_block_training_or_promotion(registry, small_corpus):
    from nlp.model_store import save_model

    save_model(StaleEstimator(), {"name": "claimlens-news", "version": 1}, registry / "claimlens-news-1")
    result = retrain([IMPORTS / "doccano.jsonl"], data_dir=small_corpus, out_root=registry)
    assert result.comparison is None
    assert any("cannot be evaluated" in note and "retrain" in note for note in result.notes)
    promotion = promote(result.model_dir.name)
    assert promotion.comparison is None and promotion.notes
    assert current_default(registry) == result.model_dir.name


def test_data_directories_are_recorded_relative_to_the_checkout(tmp_path):
    from nlp.corpus import default_data_dir, recorded_path, resolve_recorded_path

    cases = [(default_data_dir(), "training/data"), (tmp_path, str(tmp_path.resolve()))]
    for directory, recorded in cases:
        assert recorded_path(directory) == recorded
        assert resolve_recorded_path(recorded) == directory.resolve()


def test_committed_model_names_its_data_without_the_authors_machine():
    from nlp.model_store import load_model

    _, meta, _ = load_model()
    assert meta["training_data"]["dir"] == "training/data"


def test_train_add_into_an_empty_models_directory_says_whose_default_it_became(tmp_path, small_corpus):
    out = tmp_path / "fresh_models"
    result = runner.invoke(app, ["train", "--data", str(small_corpus), "--add", str(IMPORTS / "doccano.jsonl"),
                                 "--out", str(out), "--snapshots", str(tmp_path / "snapshots")])
    assert result.exit_code == 0, result.output
    assert f"claimlens-news-1 is the default model of {out}, which had none (nothing to compare it with)" \
        in " ".join(result.stdout.split())
    assert current_default(out) == "claimlens-news-1"


@pytest.mark.parametrize("command", [["labels", "import"], ["train", "--add"]])
def test_a_file_with_no_records_names_the_format_option_of_each_command(tmp_path, command):
    path = tmp_path / "notes.jsonl"
    path.write_text("these are notes, not labels\n")
    result = runner.invoke(app, [*command, str(path)])
    assert result.exit_code == 2, result.output
    assert "--format for labels import, --label-format for train" in " ".join(result.stderr.split())


@pytest.mark.parametrize("name, content", [
    ("big.csv", "text," + "x" * 200000 + "\n"),
    ("ls.json", '[{"id": 1, "data": {"text": "x"}, "annotations": [{"result": "notalist"}]}]\n'),
    ("b.json", "[1,2\n"),
    ("h.jsonl", '{"id": ' + "9" * 5000 + ', "text": "x.", "label": "fact"}\n{"text": "", "label": "fact"}\n'),
])
@pytest.mark.parametrize("command, code", [(["labels", "import"], 1), (["train", "--add"], 2)])
def test_malformed_label_files_are_problems_not_tracebacks(registry, small_corpus, tmp_path, name, content,
                                                           command, code):
    path = tmp_path / name
    path.write_text(content)
    result = runner.invoke(app, [*command, str(path), *(["--data", str(small_corpus)] if "train" in command else [])])
    assert result.exit_code == code and f"{path}:1: " in result.stderr, result.output
    assert "Traceback" not in result.output


def test_labels_import_writes_a_documents_labels_in_sentence_order(tmp_path):
    text = "Engineers fear the bridge may have been weakened. The river rose overnight."
    docs = tmp_path / "docs.jsonl"
    docs.write_text(json.dumps({"id": "new_doc", "text": text, "sentences": [
        {"start": 0, "end": 49, "label": "attribution"},  # relabels a corpus sentence (speculation there)
        {"start": 50, "end": len(text), "label": "reported_fact"}]}) + "\n")
    out = tmp_path / "clean.jsonl"
    result = runner.invoke(app, ["labels", "import", str(docs), "--against", str(IMPORTS / "base"),
                                 "--on-conflict", "keep-new", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["text"] for line in out.read_text().splitlines()] == [
        "Engineers fear the bridge may have been weakened.", "The river rose overnight."]
