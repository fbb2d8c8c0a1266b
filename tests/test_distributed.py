"""The dask engine, on a LocalCluster in this process: the same records as one machine writes."""
from __future__ import annotations

import gzip
import io
import json

import pytest

distributed = pytest.importorskip("distributed")

from typer.testing import CliRunner  # noqa: E402

from nlp.classify import run  # noqa: E402
from nlp.cli import app  # noqa: E402
from nlp.distributed import MANIFEST, later_duplicates, partitions  # noqa: E402

TEXTS = [
    "Officials said the talks collapsed on Monday.",
    "The missile may have been a new type. Analysts believe it flew 600 km.",
    "According to state media, the factory produced 300 shells.",
]


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as c:
        yield c


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("shards")
    with open(root / "a.jsonl", "w", encoding="utf-8") as fh:
        for i in range(5):
            fh.write(json.dumps({"id": f"a{i}", "text": TEXTS[i % 3]}) + "\n")
        fh.write("not json\n")
    with gzip.open(root / "b.jsonl.gz", "wt", encoding="utf-8") as fh:
        for i in range(4):
            fh.write(json.dumps({"id": f"b{i}", "text": TEXTS[(i + 1) % 3]}) + "\n")
        fh.write(json.dumps({"id": "a1", "text": "An id from another shard."}) + "\n")  # a duplicate across shards
    articles = root / "articles"
    articles.mkdir()
    for i in range(5):
        (articles / f"t{i}.txt").write_text(TEXTS[i % 3], encoding="utf-8")
    (articles / "empty.txt").write_text("  ", encoding="utf-8")
    return [str(root / "a.jsonl"), str(root / "b.jsonl.gz"), str(articles)]


def parts_records(out_dir) -> list[str]:
    manifest = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    lines = []
    for part in manifest["parts"]:
        lines += (out_dir / part["part"]).read_text(encoding="utf-8").splitlines()
    return lines


def test_dask_writes_the_records_one_machine_writes(cluster, inputs, tmp_path):
    single = io.StringIO()
    expected = run(inputs, stdout=single, workers=1)
    out = tmp_path / "out"
    summary = run(inputs, output=out, engine="dask", scheduler=cluster.scheduler_address, batch_size=2)
    lines = parts_records(out)
    assert set(lines) == set(single.getvalue().splitlines())
    assert lines == single.getvalue().splitlines()  # parts in manifest order: the same order too
    assert (summary.documents, summary.sentences, summary.errors) == (
        expected.documents, expected.sentences, expected.errors)
    errors = {json.loads(line)["error"]["type"] for line in lines if '"error"' in line}
    assert errors == {"not_json", "duplicate_id", "empty"}
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["documents"] == summary.documents and len(manifest["parts"]) == 3

    # Resuming skips every finished part; an edited input is classified again.
    again = run(inputs, output=out, engine="dask", scheduler=cluster.scheduler_address, resume=True)
    assert again.resumed == summary.documents and parts_records(out) == lines


def test_cli_with_a_scheduler_address(cluster, inputs, tmp_path):
    out = tmp_path / "cli"
    result = CliRunner().invoke(app, ["classify", *inputs, "--engine", "dask", "--scheduler",
                                      cluster.scheduler_address, "-o", str(out)])
    assert result.exit_code == 1, result.output  # the inputs hold bad records
    assert "claimlens: 17 documents" in result.stderr
    assert (out / MANIFEST).is_file()


def test_partitions_group_txt_files_and_keep_shards_whole(inputs):
    parts = partitions(inputs, files_per_partition=4)
    assert [len(p.sources) for p in parts] == [1, 1, 4, 2]
    assert [p.name for p in parts] == ["part-00000", "part-00001", "part-00002", "part-00003"]


def test_later_duplicates_across_partitions():
    import numpy as np

    ids = [np.array([1, 2, 1], dtype=np.uint64), np.array([3, 2], dtype=np.uint64), np.array([], dtype=np.uint64)]
    assert later_duplicates(ids) == [[2], [1], []]
