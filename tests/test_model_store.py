"""Safe loading: a model loads only when its file matches meta.json and its library versions match ours."""
from __future__ import annotations

import json

import pytest
import sklearn
import sklearn.base
import spacy
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from nlp.errors import ModelError
from nlp.model_store import (
    DEFAULT_POINTER, META_FILE, MODEL_FILE, default_model_dir, load_model, resolve_model_dir, save_model,
)


def tiny_estimator() -> Pipeline:
    X = [{"w:said": 1.0}, {"w:may": 1.0}, {"w:the": 1.0}]
    y = ["attribution", "speculation", "reported_fact"]
    return Pipeline([("v", DictVectorizer()), ("c", LogisticRegression())]).fit(X, y)


@pytest.fixture
def model_dir(tmp_path):
    out = tmp_path / "claimlens-test-1"
    save_model(tiny_estimator(), {"name": "claimlens-test", "version": 1}, out)
    return out


def edit_meta(model_dir, change) -> None:
    meta = json.loads((model_dir / META_FILE).read_text())
    change(meta)
    (model_dir / META_FILE).write_text(json.dumps(meta))


def test_a_saved_model_loads(model_dir):
    estimator, meta, where = load_model(model_dir)
    assert where == model_dir and meta["versions"]["scikit-learn"] == sklearn.__version__
    assert list(estimator.predict([{"w:said": 1.0}])) == ["attribution"]


@pytest.mark.parametrize("position", [0, "middle", -1])
def test_one_changed_byte_is_refused(model_dir, position):
    path = model_dir / MODEL_FILE
    data = bytearray(path.read_bytes())
    i = len(data) // 2 if position == "middle" else position
    data[i] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError) as err:
        load_model(model_dir)
    message = str(err.value)
    assert "SHA-256 does not match meta.json" in message and "claimlens train" in message
    assert "\n" not in message


@pytest.mark.parametrize("library,recorded", [
    ("scikit-learn", "1.2.2"),
    ("scikit-learn", "0.24.0"),
    ("spacy", "3.4.1"),
])
def test_a_different_recorded_version_is_refused_naming_both(model_dir, library, recorded):
    edit_meta(model_dir, lambda meta: meta["versions"].update({library: recorded}))
    running = {"scikit-learn": sklearn.__version__, "spacy": spacy.__version__}[library]
    with pytest.raises(ModelError) as err:
        load_model(model_dir)
    message = str(err.value)
    assert f"{library} {recorded}" in message and f"{library} {running}" in message
    assert "retrain" in message


@pytest.mark.parametrize("recorded", [1, None, "2"])
def test_a_model_built_for_other_features_is_refused(model_dir, recorded):
    from nlp.features import FEATURES_VERSION

    edit_meta(model_dir, lambda meta: meta.update({"features_version": recorded}))
    with pytest.raises(ModelError) as err:
        load_model(model_dir)
    assert f"version {FEATURES_VERSION}" in str(err.value) and "retrain" in str(err.value)


def test_a_different_patch_version_still_loads(model_dir):
    major, minor, *_ = sklearn.__version__.split(".")
    edit_meta(model_dir, lambda meta: meta["versions"].update({"scikit-learn": f"{major}.{minor}.999"}))
    load_model(model_dir)


def test_a_pickle_from_another_sklearn_is_refused_naming_both(tmp_path, monkeypatch):
    # The meta says our version but the pickle itself was written by "1.0.2": the
    # InconsistentVersionWarning becomes a clear error instead of a warning and a maybe-broken model.
    out = tmp_path / "claimlens-old-1"
    monkeypatch.setattr(sklearn.base, "__version__", "1.0.2")
    save_model(tiny_estimator(), {"name": "claimlens-old", "version": 1}, out)
    monkeypatch.undo()
    with pytest.raises(ModelError) as err:
        load_model(out)
    message = str(err.value)
    assert "scikit-learn 1.0.2" in message and f"scikit-learn {sklearn.__version__}" in message


@pytest.mark.parametrize("damage,expected", [
    (lambda d: (d / META_FILE).unlink(), "no meta.json"),
    (lambda d: (d / META_FILE).write_text("{not json"), "unreadable metadata"),
    (lambda d: (d / MODEL_FILE).unlink(), "model.joblib is missing"),
    (lambda d: edit_meta(d, lambda meta: meta.pop("model_sha256")), "records no model_sha256"),
])
def test_missing_or_broken_files_are_refused(model_dir, damage, expected):
    damage(model_dir)
    with pytest.raises(ModelError, match=expected):
        load_model(model_dir)


def test_no_such_directory_and_no_default(tmp_path, monkeypatch):
    with pytest.raises(ModelError, match="no such model directory"):
        load_model(tmp_path / "nope")
    monkeypatch.setenv("CLAIMLENS_MODELS_DIR", str(tmp_path))
    with pytest.raises(ModelError, match="no default model"):
        default_model_dir()


def test_registered_names_resolve_in_the_models_dir(model_dir, monkeypatch):
    monkeypatch.setenv("CLAIMLENS_MODELS_DIR", str(model_dir.parent))
    (model_dir.parent / DEFAULT_POINTER).write_text(model_dir.name + "\n")
    assert resolve_model_dir("claimlens-test-1") == model_dir
    assert load_model()[2] == model_dir


@pytest.mark.parametrize("damage,expected", [
    (lambda d: (d / META_FILE).write_text("[1, 2]"), "a JSON list, not an object"),
    (lambda d: (d / META_FILE).write_text('{"name": ' + "9" * 5000 + "}"), "unreadable metadata"),
    (lambda d: edit_meta(d, lambda meta: meta.update({"versions": "x"})), '"versions" is not an object'),
    (lambda d: edit_meta(d, lambda meta: meta["versions"].update({"spacy": 3})), "trained with spacy 3, running"),
    (lambda d: edit_meta(d, lambda meta: meta.update({"features_version": "9"})), "features version '9'"),
    (lambda d: edit_meta(d, lambda meta: meta.pop("features_version")), "records no features version"),
], ids=["list", "huge-int", "versions-string", "version-number", "features-version-string", "no-features-version"])
def test_a_hand_edited_meta_is_refused_in_one_line(model_dir, damage, expected):
    damage(model_dir)
    with pytest.raises(ModelError) as err:
        load_model(model_dir)
    assert expected in str(err.value) and "\n" not in str(err.value)


def test_a_file_given_as_model_is_not_a_directory(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("The army fired.\n")
    with pytest.raises(ModelError, match="a.txt: not a directory"):
        load_model(path)


def test_a_pickle_of_something_else_names_the_model_directory(tmp_path):
    out = tmp_path / "claimlens-other-1"
    save_model({"not": "a classifier"}, {"name": "claimlens-other", "version": 1}, out)
    with pytest.raises(ModelError) as err:
        load_model(out)
    assert str(err.value).startswith(f"{out}: model.joblib predicts []")
