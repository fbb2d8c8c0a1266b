"""The synthetic training documents: built from their sources, train-only, every label double-annotated."""
from __future__ import annotations

import json

import pytest
from conftest import load_script

from nlp.corpus import SYNTHETIC_FILE, default_data_dir, load_synthetic, read_splits, training_docs
from nlp.errors import DataError


@pytest.fixture(scope="module")
def prepare():
    return load_script("training/prepare_synthetic.py")


def test_synthetic_jsonl_is_built_from_its_sources(prepare):
    committed = (default_data_dir() / SYNTHETIC_FILE).read_text(encoding="utf-8")
    assert committed == prepare.render(prepare.training_documents())
    assert {doc.meta["batch"] for doc in load_synthetic(default_data_dir())} == set(prepare.TRAINING_BATCHES)


def test_annotator_agreement_is_what_the_readme_reports(prepare):
    report = prepare.agreement()
    assert report["sentences"] == 6602 and report["agreement"] == pytest.approx(0.989, abs=5e-4)
    assert report["kappa"] == pytest.approx(0.985, abs=5e-4) and report["adjudicated"] == 70
    assert report["revised"] == 33
    batches = report["by_batch"]
    assert {name: batch["sentences"] for name, batch in batches.items()} == {
        "general": 3155, "targeted": 1349, "targeted2": 1083, "general2": 1015}
    assert [round(batches[name]["kappa"], 3) for name in ("general", "targeted", "targeted2", "general2")] == [
        0.990, 0.985, 0.964, 0.987]
    assert sum(report["final_labels"].values()) == report["sentences"]


def test_synthetic_documents_are_never_evaluated_on():
    synthetic = {doc.id for doc in load_synthetic(default_data_dir())}
    assert synthetic and all(doc_id.startswith("synth_") for doc_id in synthetic)
    for split, ids in read_splits(default_data_dir()).items():
        assert not synthetic & set(ids), split


def test_every_synthetic_document_has_provenance_and_two_annotators():
    for doc in load_synthetic(default_data_dir()):
        assert doc.meta["source"] == "synthetic" and doc.meta["licence"] and doc.meta["written_by"]
        assert doc.meta["batch"] in ("general", "targeted", "targeted2")
        assert len(doc.meta["labelled_by"]) == 2
        for sentence in doc.sentences:
            assert sentence["label"] in ("reported_fact", "attribution", "speculation", "none")
            assert sentence["labelled_by"].count("/") in (1, 2)  # two annotators, + an adjudicator who settled or revised it
            assert doc.text[sentence["start"]:sentence["end"]].strip() == doc.text[sentence["start"]:sentence["end"]]


# One one-sentence article for the label-table tests.
ARTICLE = {"id": "d", "title": "T", "written_by": "w", "batch": "general", "labelled_by": ["a", "b"],
           "paragraphs": [["One."]]}
HEADER = "doc\ti\tlabel_a\twhy_a\tlabel_b\twhy_b\tlabel\tadjudicated_by\tadjudication_why\n"


@pytest.mark.parametrize("row, error", [
    ("d\t0\tattribution\tx\tattribution\tx\tattribution\t\t\n", None),
    ("d\t0\tattribution\tx\tspeculation\tx\tspeculation\tadjudicator-s1\trule\n", None),
    # an agreed label overruled by an adjudicator applying a rule written after the annotation
    ("d\t0\tnone\tx\tnone\tx\treported_fact\tadjudicator-s3\trule\n", None),
    # negatives: a disagreement nobody settled, a label neither agreed, an unknown label
    ("d\t0\tattribution\tx\tspeculation\tx\tspeculation\t\t\n", "nobody adjudicated"),
    ("d\t0\tattribution\tx\tattribution\tx\tspeculation\t\t\n", "not the one both annotators gave"),
    ("d\t0\tfact\tx\tfact\tx\tfact\t\t\n", "unknown label"),
])
def test_label_table_rules(prepare, tmp_path, row, error):
    (tmp_path / "labels.tsv").write_text(HEADER + row, encoding="utf-8")
    (tmp_path / "articles.jsonl").write_text(json.dumps(ARTICLE) + "\n", encoding="utf-8")
    if error is None:
        (doc,) = prepare.build_docs(tmp_path)
        assert doc["text"] == "One.\n" and doc["sentences"][0]["end"] == 4
    else:
        with pytest.raises(ValueError, match=error):
            prepare.build_docs(tmp_path)


def test_an_unknown_batch_is_refused(prepare):
    with pytest.raises(ValueError, match="no articles of batch targetted"):
        prepare.training_documents(batches=("general", "targetted"))


def test_an_article_without_labels_is_refused(prepare, tmp_path):
    (tmp_path / "labels.tsv").write_text(HEADER, encoding="utf-8")
    (tmp_path / "articles.jsonl").write_text(json.dumps(ARTICLE) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no label"):
        prepare.build_docs(tmp_path)


def test_training_docs_add_synthetic_unless_asked_not_to(small_corpus, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("docs.jsonl", "splits.json"):
        (data / name).write_text((small_corpus / name).read_text(encoding="utf-8"), encoding="utf-8")
    assert training_docs(data)[1] == []  # no synthetic.jsonl: nothing added
    synthetic = load_synthetic(default_data_dir())[:2]
    with open(data / SYNTHETIC_FILE, "w", encoding="utf-8") as fh:
        for doc in synthetic:
            fh.write(json.dumps({"id": doc.id, "text": doc.text, "sentences": doc.sentences, **doc.meta}) + "\n")
    train, extra = training_docs(data)
    assert [doc.id for doc in extra] == [doc.id for doc in synthetic] and len(train) == 10
    assert training_docs(data, synthetic=False)[1] == []


def test_a_synthetic_id_that_is_also_a_corpus_document_is_refused(small_corpus, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("docs.jsonl", "splits.json"):
        (data / name).write_text((small_corpus / name).read_text(encoding="utf-8"), encoding="utf-8")
    first = (small_corpus / "docs.jsonl").read_text(encoding="utf-8").splitlines()[0]
    (data / SYNTHETIC_FILE).write_text(first + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="also in the corpus"):
        training_docs(data)


@pytest.mark.parametrize("flag, expected", [([], 2), (["--no-synthetic"], 0)])
def test_train_command_fits_on_synthetic_documents_unless_told_not_to(small_corpus, tmp_path, flag, expected):
    from typer.testing import CliRunner

    from nlp.cli import app

    data = tmp_path / "data"
    data.mkdir()
    for name in ("docs.jsonl", "splits.json"):
        (data / name).write_text((small_corpus / name).read_text(encoding="utf-8"), encoding="utf-8")
    with open(data / SYNTHETIC_FILE, "w", encoding="utf-8") as fh:
        for doc in load_synthetic(default_data_dir())[:2]:
            fh.write(json.dumps({"id": doc.id, "text": doc.text, "sentences": doc.sentences, **doc.meta}) + "\n")
    result = CliRunner().invoke(app, ["train", "--data", str(data), "--out", str(tmp_path / "models"), *flag])
    assert result.exit_code == 0, result.output
    (model_dir,) = (tmp_path / "models").glob("claimlens-news-*")
    meta = json.loads((model_dir / "meta.json").read_text(encoding="utf-8"))
    assert meta["training_data"]["synthetic_documents"] == expected
    assert meta["training_data"]["documents"] == 10


@pytest.mark.parametrize("share, expected", [(0.0, 0), (-1.0, 0), (0.25, 2), (0.5, 4), (1.0, 8), (0.01, 1)])
def test_learning_curve_samples_a_share_of_documents(share, expected):
    import random

    module = load_script("training/learning_curve.py")
    documents = [f"d{i}" for i in range(8)]
    kept = module._sample(documents, share, random.Random(0))
    assert len(kept) == expected and kept <= set(documents)
