"""The agreement study's script (training/agreement.py) and the committed agreement table."""
import pytest

from conftest import load_script


@pytest.fixture(scope="module")
def agreement():
    return load_script("training/agreement.py")


@pytest.mark.parametrize("first, second, agreement_rate, kappa", [
    (["reported_fact", "attribution", "speculation", "none"], ["reported_fact", "attribution", "speculation", "none"],
     1.0, 1.0),
    # one of four changed: agreement drops to 0.75 and kappa below it (chance agreement is subtracted)
    (["reported_fact", "attribution", "speculation", "none"], ["reported_fact", "attribution", "attribution", "none"],
     0.75, 0.6667),
    # no agreement at all: kappa below zero
    (["reported_fact", "attribution"], ["attribution", "reported_fact"], 0.0, -1.0),
])
def test_compare_agreement_and_kappa(agreement, first, second, agreement_rate, kappa):
    result = agreement.compare(first, second)
    assert result["agreement"] == agreement_rate
    assert result["kappa"] == pytest.approx(kappa, abs=1e-3)


def test_compare_scores_second_against_first(agreement):
    result = agreement.compare(["speculation", "speculation", "reported_fact"],
                               ["speculation", "reported_fact", "reported_fact"])
    # speculation: precision 1, recall 1/2 -> F1 2/3
    assert result["f1"]["speculation"] == pytest.approx(0.6667, abs=1e-3)
    assert result["support"]["speculation"] == 2


@pytest.mark.parametrize("bad_row, message", [
    ("d\t0\ttest\treported_fact\treported_fact\tw\tx\tsure\t\t", "adjudicated label 'sure'"),
    ("d\t0\ttest\t\treported_fact\tw\tx\treported_fact\t\t", "first label ''"),
])
def test_read_table_rejects_unknown_labels(agreement, tmp_path, bad_row, message):
    path = tmp_path / "labels.tsv"
    path.write_text("\t".join(agreement.COLUMNS) + "\n" + bad_row + "\n", encoding="utf-8")
    with pytest.raises(agreement.TableError, match=message):
        agreement.read_table(path)


def test_committed_table_covers_the_corpus_and_matches_its_labels(agreement, repo):
    rows = agreement.read_table(agreement.DEFAULT_TABLE)
    assert agreement.check_against_corpus(rows, repo / "training" / "data" / "docs.jsonl") == []
    # every disagreement was adjudicated, with a reason
    for row in rows:
        if row["first"] != row["second"]:
            assert row["adjudication_why"] and row["adjudicated_by"], (row["doc"], row["i"])
            assert row["adjudicated"] in (row["first"], row["second"])
