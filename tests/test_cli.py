"""The command line, driven through typer's CliRunner: records, formats, bad input, exit codes."""
from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nlp import LABELS
from nlp.cli import app
from nlp.records import RECORD_FIELDS

runner = CliRunner()
REPO = Path(__file__).resolve().parent.parent


def run(*args, stdin: bytes | None = None):
    return runner.invoke(app, list(args), input=stdin)


def jsonl(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_classify_seed_article(seed_path, seed_text, seed_gold):
    result = run("classify", str(seed_path.parent), "--quiet")
    assert result.exit_code == 0, result.output
    records = jsonl(result.stdout)
    assert [r["index"] for r in records] == list(range(len(records)))
    for record in records:
        assert set(record) == set(RECORD_FIELDS)
        assert record["doc_id"] == seed_path.stem
        assert record["text"] == seed_text[record["start"]:record["end"]]
        if record["skipped"]:
            assert record["label"] is None and record["probs"] is None
        else:
            assert record["label"] in LABELS
            assert sum(record["probs"].values()) == pytest.approx(1.0, abs=1e-6)
            assert record["confidence"] == max(record["probs"].values())
    skipped = {r["text"]: r["skipped"] for r in records if r["skipped"]}
    assert skipped == {
        "weapons production, russia, north korea, dprk": "tag line",
        "/ Photo: Rodong Sinmun, News1": "photo credit",
        "Read in Korean": "navigation",
    }
    # Every gold claim sentence's start is covered by a labelled record.
    labelled = [r for r in records if r["label"]]
    for gold in seed_gold:
        if gold["label"] != "none":
            assert any(r["start"] <= gold["start"] < r["end"] for r in labelled), gold["text"]


@pytest.mark.parametrize("fmt", ["csv", "table"])
def test_classify_other_formats(seed_path, fmt):
    result = run("classify", str(seed_path), "--format", fmt, "--quiet")
    assert result.exit_code == 0, result.output
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        assert rows and all(r["doc_id"] == seed_path.stem for r in rows)
        assert {r["label"] for r in rows if r["label"]} <= set(LABELS)
    else:
        assert seed_path.stem in result.stdout and "(tag line) weapons production" in result.stdout


def test_classify_table_keeps_the_sentence_readable_in_80_columns(seed_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    result = run("classify", str(seed_path), "--format", "table", "--quiet")
    assert result.exit_code == 0, result.output
    rows = [line.split("│") for line in result.stdout.splitlines() if line.startswith("│")]
    assert rows and all(len(line) <= 80 for line in result.stdout.splitlines())
    assert min(len(row[-2]) for row in rows) >= 30  # the sentence column


def test_classify_writes_output_file_and_summary(seed_path, tmp_path):
    out = tmp_path / "out.jsonl"
    result = run("classify", str(seed_path), "-o", str(out))
    assert result.exit_code == 0
    assert jsonl(out.read_text(encoding="utf-8"))
    assert "1 document," in result.stderr and "0 errors" in result.stderr


def test_classify_jsonl_and_stdin(tmp_path):
    path = tmp_path / "articles.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "a", "text": "Officials said the talks collapsed."}) + "\n")
        fh.write(json.dumps({"id": "b", "text": "The missile may have been a new type."}) + "\n")
    result = run("classify", str(path), "--quiet")
    assert result.exit_code == 0, result.output
    assert [r["doc_id"] for r in jsonl(result.stdout)] == ["a", "b"]

    result = run("classify", "-", "--quiet", stdin=b"The summit opens on Monday.\n")
    assert result.exit_code == 0
    assert [r["doc_id"] for r in jsonl(result.stdout)] == ["stdin"]


# Per-document problems: an error record in the output, the rest processed, exit status 1.
@pytest.mark.parametrize(
    "name, content, error_type",
    [
        ("bad.txt", b"caf\xe9 au lait", "undecodable"),
        ("empty.txt", b"  \n\n ", "empty"),
        ("lines.jsonl", b'{"id": "x", "text": "Fine text."}\nnot json\n', "not_json"),
        ("lines.jsonl", b'{"id": "x", "text": "Fine text."}\n{"id": "y"}\n', "missing_text"),
        ("lines.jsonl", b'{"id": "x", "text": "Fine text."}\n[1, 2]\n', "not_object"),
    ],
)
def test_classify_bad_documents_are_error_records(tmp_path, seed_path, name, content, error_type):
    bad = tmp_path / name
    bad.write_bytes(content)
    result = run("classify", str(seed_path), str(bad), "--quiet")
    assert result.exit_code == 1, result.output
    records = jsonl(result.stdout)
    errors = [r for r in records if "error" in r]
    assert [e["error"]["type"] for e in errors] == [error_type]
    assert errors[0]["error"]["message"]
    assert any(r.get("doc_id") == seed_path.stem for r in records)
    assert "Traceback" not in result.output


# Problems with an input as a whole: a one-line error naming the input, exit status 2, nothing run.
@pytest.mark.parametrize(
    "make_input, message",
    [
        (lambda tmp: str(tmp / "missing.txt"), "no such file or directory"),
        (lambda tmp: str(tmp), "contains no .txt articles"),
        (lambda tmp: (tmp / "x.pdf").write_bytes(b"%PDF") and str(tmp / "x.pdf"), "unsupported input type"),
    ],
)
def test_classify_unusable_inputs(tmp_path, make_input, message):
    name = make_input(tmp_path)
    result = run("classify", name)
    assert result.exit_code == 2
    assert message in result.stderr and name in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_usage_errors_exit_2(seed_path):
    assert run("classify", str(seed_path), "--format", "xml").exit_code == 2
    assert run("classify").exit_code == 2
    result = run("classify", str(seed_path), "--model", "/nonexistent/model")
    assert result.exit_code == 2 and "no such model directory" in result.stderr


@pytest.mark.parametrize("command", ["classify", "evaluate", "report"])
def test_a_file_given_as_model_is_named_as_not_a_directory(seed_path, command):
    args = [command, str(seed_path)] if command != "evaluate" else [command]
    result = run(*args, "--model", str(seed_path))
    assert result.exit_code == 2 and f"{seed_path}: not a directory" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_evaluate_json_matches_committed_metrics():
    from nlp.model_store import load_model

    _, meta, _ = load_model()
    result = run("evaluate", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["metrics"] == meta["metrics"]["test"]
    assert set(report["baselines"]) == {"majority", "cue_rules"}


def test_evaluate_table():
    result = run("evaluate")
    assert result.exit_code == 0, result.output
    assert "macro-F1" in result.stdout and "baseline: cue_rules" in result.stdout


LABELLED_DOC = {"id": "d1", "text": "The army fired. Officials said it may rain.",
                "sentences": [{"start": 0, "end": 15, "label": "reported_fact"},
                              {"start": 16, "end": 43, "label": "speculation"}]}


@pytest.mark.parametrize("change, message", [
    (lambda doc: doc.update(sentences="none"), '"sentences" of document d1 is not a list of objects'),
    (lambda doc: doc.update(sentences=["The army fired."]), '"sentences" of document d1 is not a list of objects'),
    (lambda doc: doc["sentences"][0].update(start="a"), 'no whole-number "start" and "end"'),
    (lambda doc: doc.update(text=5), '"text" of document d1 is not a string'),
    (lambda doc: doc["sentences"][0].update(label=["fact"]), "unknown label ['fact']"),
    (lambda doc: doc.update(n="HUGE"), "not JSON"),  # HUGE: a 5000-digit integer, too long for json.loads
], ids=["sentences-string", "sentence-string", "start-string", "text-number", "label-list", "huge-int"])
def test_evaluate_malformed_labelled_documents_is_a_one_line_error(tmp_path, change, message):
    doc = json.loads(json.dumps(LABELLED_DOC))
    change(doc)
    path = tmp_path / "docs.jsonl"
    path.write_text(json.dumps(doc).replace('"HUGE"', "9" * 5000) + "\n")
    result = run("evaluate", str(path))
    assert result.exit_code == 2 and f"{path}:1: " in result.stderr and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("splits", ["[1,2", "[1, 2]", '{"train": "d1"}'])
@pytest.mark.parametrize("command", [["evaluate", "{data}"], ["train", "--data", "{data}", "--out", "{out}"]])
def test_a_malformed_splits_file_is_a_one_line_error(tmp_path, splits, command):
    data = tmp_path / "data"
    data.mkdir()
    (data / "docs.jsonl").write_text(json.dumps(LABELLED_DOC) + "\n")
    (data / "splits.json").write_text(splits)
    result = run(*(arg.format(data=data, out=tmp_path / "models") for arg in command))
    assert result.exit_code == 2 and f"{data / 'splits.json'}: " in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def corpus_copy(small_corpus, out, *, train: int | None = None, speculation_in: int | None = None):
    """``small_corpus`` with only its first ``train`` train documents, or speculation left in only
    ``speculation_in`` of them (relabelled reported_fact elsewhere)."""
    splits = json.loads((small_corpus / "splits.json").read_text())
    splits["train"] = splits["train"][:train]
    out.mkdir()
    (out / "splits.json").write_text(json.dumps(splits))
    with open(out / "docs.jsonl", "w") as fh:
        for line in (small_corpus / "docs.jsonl").read_text().splitlines():
            doc = json.loads(line)
            if speculation_in is not None and doc["id"] in splits["train"][speculation_in:]:
                for sentence in doc["sentences"]:
                    if sentence.get("label") == "speculation":
                        sentence["label"] = "reported_fact"
            fh.write(json.dumps(doc) + "\n")
    return out


@pytest.mark.parametrize("shrink, message", [
    ({"train": 1}, "1 training document: training needs at least 5"),
    ({"train": 4}, "4 training documents: training needs at least 5"),
    ({"speculation_in": 1}, "the training data has no speculation sentences"),
], ids=["one-document", "four-documents", "speculation-in-one-document"])
def test_a_corpus_too_small_for_the_calibration_folds_is_a_one_line_error(small_corpus, tmp_path, shrink, message):
    data = corpus_copy(small_corpus, tmp_path / "data", **shrink)
    result = run("train", "--data", str(data), "--out", str(tmp_path / "models"))
    assert result.exit_code == 2 and message in result.stderr, result.output
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("option, value, message", [
    ("--seed", "-5", "--seed"),
    ("--seed", str(2 ** 32), "--seed"),
    ("--out", "{tmp}/a.txt", "a.txt: not a directory"),
    ("--out", "{tmp}/a.txt/models", "a.txt: not a directory"),
    ("--name", "../../escape", "--name '../../escape'"),
    ("--name", "a/b", "--name 'a/b'"),
    ("--name", "", "--name ''"),
    ("--name", "..", "--name '..'"),
    ("--name", "-rf", "--name '-rf'"),
])
@pytest.mark.parametrize("add", [False, True], ids=["train", "train-add"])
def test_train_refuses_bad_options_before_training(small_corpus, tmp_path, monkeypatch, option, value, message, add):
    import nlp.training

    def no_fitting(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(nlp.training, "fit_estimator", no_fitting)
    monkeypatch.setenv("CLAIMLENS_SNAPSHOTS_DIR", str(tmp_path / "snapshots"))
    (tmp_path / "a.txt").write_text("The army fired.\n")
    args = ["--data", str(small_corpus), "--out", str(tmp_path / "models"), option, value.format(tmp=tmp_path)]
    if add:
        args += ["--add", str(Path(__file__).parent / "data" / "imports" / "doccano.jsonl")]
    result = run("train", *args)
    assert result.exit_code == 2 and message in result.stderr, result.output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]  # no models, no escaped directory, no snapshot


@pytest.mark.parametrize("command", [["label"], ["labels", "import"], ["suggest", "{seed}", "--exclude"]],
                         ids=["label", "labels-import", "suggest-exclude"])
def test_a_directory_given_as_a_label_file_is_named_as_a_directory(seed_path, tmp_path, command):
    result = run(*(arg.format(seed=seed_path) for arg in command), str(tmp_path))
    assert result.exit_code == 2 and f"{tmp_path}: is a directory" in result.stderr, result.output


def test_suggest_exclude_of_a_file_with_no_labels_names_what_exclude_takes(seed_path):
    result = run("suggest", str(seed_path), "--exclude", str(seed_path))
    assert result.exit_code == 2 and "--exclude takes label files" in result.stderr
    assert "--label-format" not in result.stderr and "--format" not in result.stderr


def test_suggest_summary_counts_in_the_singular(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("Officials said it may rain. The army fired.\n")
    result = run("suggest", str(path), "-n", "1")
    assert result.exit_code == 0, result.output
    assert "1 suggestion from 1 document (2 claim sentences; 0 near-duplicates collapsed" in result.stderr


@pytest.mark.slow
def test_train_reproduces_committed_model(tmp_path):
    from nlp.model_store import load_model

    _, committed, _ = load_model()
    result = run("train", "--out", str(tmp_path), "--seed", str(committed["seed"]))
    assert result.exit_code == 0, result.output
    meta = json.loads((tmp_path / f"{committed['name']}-1" / "meta.json").read_text())
    assert meta["training_data"]["sha256"] == committed["training_data"]["sha256"]
    assert meta["metrics"] == committed["metrics"]
    evaluated = run("evaluate", "--model", str(tmp_path / f"{committed['name']}-1"), "--format", "json")
    assert json.loads(evaluated.stdout)["metrics"] == committed["metrics"]["test"]


@pytest.mark.parametrize("fmt", ["jsonl", "table"])
def test_entities_command(seed_path, tmp_path, fmt):
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    result = run("entities", str(seed_path), str(empty), "--format", fmt)
    assert result.exit_code == 1  # the empty article is an error record; the seed is still listed
    if fmt == "jsonl":
        records = {r["doc_id"]: r for r in jsonl(result.stdout)}
        actors = {a["id"]: a["count"] for a in records[seed_path.stem]["actors"]}
        places = {p["id"] for p in records[seed_path.stem]["places"]}
        assert actors["kpa"] == 3 and "kim_jong_un" in actors
        assert records["empty"]["error"]["type"] == "empty"
        assert places  # North Korea, Russia, Pyongyang, ...
    else:
        assert "Kim Jong Un" in result.stdout and "empty" in result.stdout
    assert run("entities", str(tmp_path / "missing.txt")).exit_code == 2


def test_readme_metrics_are_generated_from_the_default_model(repo):
    """The README's numbers are `training/readme_metrics.py` output for the committed model, not typed."""
    from conftest import load_script
    from nlp.evaluation import evaluate

    readme_metrics = load_script("training/readme_metrics.py")

    readme = (repo / "README.md").read_text(encoding="utf-8")
    assert readme_metrics.render(evaluate()) in readme


def _committed_meta() -> dict:
    from nlp.model_store import load_model

    return load_model()[1]


@pytest.mark.parametrize("command, wanted", [
    (["models", "list"], lambda meta: ["created", "status", "test acc", meta["created"][:10]]),
    (["report", "{seeds}"], lambda meta: [f"{meta['metrics'][split]['calibration']['ece']:.3f}" for split in ("dev", "test")]),
])
def test_tables_sent_to_a_pipe_are_not_cut_to_80_columns(monkeypatch, seed_path, command, wanted):
    monkeypatch.delenv("COLUMNS", raising=False)
    result = run(*(arg.format(seeds=seed_path.parent) for arg in command))
    assert result.exit_code == 0, result.output
    for text in wanted(_committed_meta()):
        assert text in result.stdout, text


def test_tables_follow_columns_when_it_is_set(monkeypatch, seed_path):
    """$COLUMNS is a terminal width to respect: tables wrap names and headers before they cut figures."""
    monkeypatch.setenv("COLUMNS", "80")
    result = run("report", str(seed_path.parent))
    assert result.exit_code == 0, result.output
    table_lines = [line for line in result.stdout.splitlines() if line[:1] in "┏┃┡│└"]
    assert table_lines and max(len(line) for line in table_lines) <= 80
    meta = _committed_meta()
    for split in ("dev", "test"):
        assert f"{meta['metrics'][split]['calibration']['ece']:.3f}" in result.stdout


def test_readme_output_record_is_what_classify_prints(repo, seed_path):
    """Each line of the README's example record, "..." aside, is a piece of the real record (default model)."""
    readme = (repo / "README.md").read_text(encoding="utf-8")
    example = readme.split("## Output record", 1)[1].split("```json\n", 1)[1].split("```", 1)[0]
    result = run("classify", str(seed_path))
    assert result.exit_code == 0, result.output
    index = int(re.search(r'"index": (\d+)', example).group(1))
    [record] = [r for r in jsonl(result.stdout) if r["index"] == index]
    printed = json.dumps(record, ensure_ascii=False)
    pieces = [piece.strip(" ,[]{}\n") for line in example.splitlines() for piece in line.split("...")]
    for piece in filter(None, pieces):
        assert piece in printed, piece


@pytest.mark.parametrize("columns", ["abc", "0", " 100"])
def test_a_columns_value_that_is_no_width_is_ignored(monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", columns)
    result = run("models", "list")
    assert result.exit_code == 0, result.output
    assert "created" in result.stdout and "status" in result.stdout  # laid out at 160, as on any pipe


# Writing the output would destroy an input, or put a .txt where it would be read as an article: refused.
@pytest.mark.parametrize("args, output", [
    (["classify", "a.txt"], "a.txt"),
    (["classify", "a.txt", "--format", "table"], "a.txt"),
    (["report", "a.txt"], "a.txt"),
    (["suggest", "a.jsonl"], "a.jsonl"),
    (["suggest", "a.jsonl"], "link.jsonl"),  # the same file under another name
    (["suggest", "a.txt", "--exclude", "labels.jsonl"], "labels.jsonl"),
    (["classify", "dir"], "dir/out.txt"),
    (["report", "dir"], "dir/out.txt"),
])
def test_an_output_that_is_an_input_is_refused(tmp_path, monkeypatch, args, output):
    monkeypatch.chdir(tmp_path)
    Path("a.txt").write_text("The army fired.\n", encoding="utf-8")
    Path("a.jsonl").write_text('{"id": "a", "text": "The army fired."}\n', encoding="utf-8")
    Path("labels.jsonl").write_text('{"text": "The army fired.", "label": "reported_fact"}\n', encoding="utf-8")
    os.link("a.jsonl", "link.jsonl")
    Path("dir").mkdir()
    Path("dir/b.txt").write_text("The summit opens.\n", encoding="utf-8")
    before = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}
    result = run(*args, "-o", output)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"claimlens: error: {output}: the output ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()} == before


# Lines json.loads refuses (an integer over 4300 digits, deep nesting) and lone surrogates in the id or the text:
# one error each, in every command that reads articles, and the good line is still there.
BAD_LINES = "\n".join([
    '{"id": "good", "text": "The army fired."}',
    '{"id": ' + "9" * 5000 + ', "text": "x."}',
    '{"id": "deep", "text": "x.", "m": ' + "[" * 100_000 + "]" * 100_000 + "}",
    '{"id": "bad\\udfff", "text": "The summit opens."}',
    '{"id": "s", "text": "Bad \\ud800 text."}',
]) + "\n"


@pytest.mark.parametrize("command", [
    ["classify", "--quiet"],
    ["classify", "--quiet", "-o", "{tmp}/out.jsonl"],
    ["entities", "--format", "jsonl"],
    ["entities"],
    ["suggest", "--quiet"],
    ["report", "--format", "json"],
    ["report"],
])
def test_lines_that_are_no_readable_text_are_errors_in_every_command(tmp_path, command):
    path = tmp_path / "lines.jsonl"
    path.write_text(BAD_LINES, encoding="utf-8")
    result = run(*(arg.format(tmp=tmp_path) for arg in command), str(path))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    written = result.output + ((tmp_path / "out.jsonl").read_text(encoding="utf-8") if "-o" in command else "")
    assert "good" in written or "The army fired." in written
    for doc_id in ("lines.jsonl:2", "lines.jsonl:3", "lines.jsonl:4", "s"):
        assert doc_id in written, doc_id


@pytest.mark.parametrize("content, message", [
    ('{"id": ' + "9" * 5000 + ', "text": "x."}\n', "s.jsonl:1: not JSON (a number has too many digits)"),
    ('{"text": "x.", "m": ' + "[" * 100_000 + "]" * 100_000 + "}\n", "s.jsonl:1: not JSON (nested too deeply)"),
    ('{"text": "Bad \\ud800 text."}\n', "s.jsonl:1: a string holds an unpaired surrogate"),
    ('{"text": "Fine.", "context_before": ["\\udfff"]}\n', "s.jsonl:1: a string holds an unpaired surrogate"),
])
def test_label_refuses_suggestions_it_cannot_show_or_write(tmp_path, content, message):
    path = tmp_path / "s.jsonl"
    path.write_text(content, encoding="utf-8")
    result = run("label", str(path), stdin=b"1q")
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "s.labels.jsonl").exists()


def test_label_reports_an_answers_file_it_cannot_read(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text('{"text": "Fine."}\n', encoding="utf-8")
    (tmp_path / "s.labels.jsonl").write_text('{"id": ' + "9" * 5000 + '}\n{"id": "b"}\n', encoding="utf-8")
    result = run("label", str(path), stdin=b"q")
    assert result.exit_code == 2, result.output
    assert "line 1 is not a JSON answer" in result.stderr


@pytest.mark.parametrize("command", [
    ["classify", "-"], ["entities", "-"], ["report", "-"], ["suggest", "-"], ["label", "{tmp}/s.jsonl"],
])
def test_a_closed_stdin_is_a_one_line_error(tmp_path, command):
    """As under some daemons: the process starts with no file descriptor 0, and Python's sys.stdin is None."""
    (tmp_path / "s.jsonl").write_text('{"text": "Fine."}\n', encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "nlp", *(arg.format(tmp=tmp_path) for arg in command)], cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)}, preexec_fn=lambda: os.close(0),
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("claimlens: error: ") and "stdin" in result.stderr and "closed" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


IMPORTS = Path(__file__).parent / "data" / "imports"

# Every command that writes a file: an output that cannot be written is a one-line error naming it, exit 2.
OUTPUT_COMMANDS = {
    "classify": ["classify", "{seed}", "-o", "{out}"],
    "classify table": ["classify", "{seed}", "--format", "table", "-o", "{out}"],
    "report": ["report", "{seed}", "-o", "{out}"],
    "report html": ["report", "{seed}", "--format", "html", "-o", "{out}"],
    "suggest": ["suggest", "{seed}", "-o", "{out}"],
    "labels import": ["labels", "import", str(IMPORTS / "claimlens.jsonl"), "-o", "{out}"],
    "labels import --report": ["labels", "import", str(IMPORTS / "claimlens.jsonl"), "--report", "{out}"],
}


def _cannot_write(result, name: str, reason: str) -> list[str]:
    """The stderr lines before the error."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    *before, last = result.stderr.strip().splitlines()
    assert last == f"claimlens: error: {name}: cannot write ({reason})"
    return before


@pytest.mark.parametrize("command", OUTPUT_COMMANDS.values(), ids=OUTPUT_COMMANDS.keys())
def test_an_output_in_a_missing_folder_is_one_line_and_exit_2(tmp_path, seed_path, command):
    out = tmp_path / "no" / "such" / "out.txt"
    result = run(*(arg.format(seed=seed_path, out=out) for arg in command))
    # Found before any work: labels import prints no import summary first.
    assert _cannot_write(result, str(out), "No such file or directory") == []


# /dev/full accepts the open and fails every write with ENOSPC: a full disk. (classify -o FILE writes a
# ledger beside FILE, so its full disk is tested in a subprocess below.)
@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("command", [c for name, c in OUTPUT_COMMANDS.items() if name != "classify"],
                         ids=[name for name in OUTPUT_COMMANDS if name != "classify"])
def test_a_full_disk_is_one_line_and_exit_2(seed_path, command):
    result = run(*(arg.format(seed=seed_path, out="/dev/full") for arg in command))
    _cannot_write(result, "/dev/full", "No space left on device")


@pytest.mark.parametrize("command", [["entities"], ["entities", "--format", "jsonl"], ["suggest"]], ids=" ".join)
def test_a_classify_output_given_as_articles_is_named_in_one_line(tmp_path, command):
    out = tmp_path / "out.jsonl.gz"  # what `classify -o` wrote, gzipped
    out.write_bytes(gzip.compress((Path(__file__).parent / "data" / "report_records.jsonl").read_bytes()))
    result = run(*command, str(out))
    assert result.exit_code == 2, result.output
    assert result.stdout == ""  # not a record per sentence, each a duplicate_id error
    assert result.stderr.strip().splitlines() == [
        f"claimlens: error: {out}: this is classify output (sentence records), not articles: "
        f"give {command[0]} the articles it was made from"]


@pytest.mark.parametrize("text, shown", [
    ("in \x1b]0;pwned\x07Seoul", "in \\x1b]0;pwned\\x07Seoul"),  # retitles the window
    ("red \x1b[31mtext\x9b2J", "red \\x1b[31mtext\\x9b2J"),  # colour, and a C1 control sequence introducer
    ("over\rwritten, kept\r\nline\ttab", "over\\x0dwritten, kept\r\nline\ttab"),
    ("nul\x00 del\x7f", "nul\\x00 del\\x7f"),
])
def test_control_characters_are_shown_escaped_in_terminal_text(text, shown):
    from nlp.output import terminal_text

    assert terminal_text(text) == shown


# Article text reaches the terminal in tables: its escape sequences must not (JSON keeps the text exact).
@pytest.mark.parametrize("command", [["classify", "--format", "table"], ["entities"], ["report", "--threshold", "1"]],
                         ids=lambda c: c[0])
def test_tables_do_not_pass_escape_sequences_from_articles_to_the_terminal(tmp_path, command):
    article = tmp_path / "esc\x1b[2J.txt"
    article.write_text("Officials in \x1b]0;pwned\x07Seoul said the talks \x9b2Jcollapsed.\n", encoding="utf-8")
    result = run(*command, str(article))
    assert result.exit_code == 0, result.output
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", result.stdout)
    assert "\\x1b" in result.stdout
    assert "\x1b]0;pwned\x07" in jsonl(run("classify", str(article), "--quiet").stdout)[0]["text"]


# Without --format, the format follows -o's extension: `-o out.csv` is CSV, not JSONL in a .csv file.
@pytest.mark.parametrize("command, name, starts", [
    (["classify"], "out.csv", "doc_id,index,start,end,label"),
    (["classify"], "out.jsonl", '{"doc_id": '),
    (["classify"], "out.txt", '{"doc_id": '),
    (["classify", "--format", "jsonl"], "out.csv", '{"doc_id": '),  # an explicit --format wins
    (["report"], "report.html", "<!DOCTYPE html>"),
    (["report"], "report.JSON", '{"schema": "claimlens-report"'),
    (["report"], "report.md", "# claimlens report"),
    (["report"], "report.txt", "─"),
])
def test_the_format_follows_the_output_extension(tmp_path, seed_path, command, name, starts):
    out = tmp_path / name
    result = run(*command, str(seed_path), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith(starts)


# An empty .jsonl is a file of no documents: nothing to fail (exit 0). An empty .txt is one article without text.
@pytest.mark.parametrize("name, content, code, errors", [
    ("none.jsonl", b"", 0, []),
    ("blank.jsonl", b"\n  \n", 0, []),
    ("none.jsonl.gz", gzip.compress(b""), 0, []),
    ("none.txt", b"", 1, ["empty"]),
])
def test_an_empty_jsonl_holds_no_documents_an_empty_txt_is_an_empty_article(tmp_path, name, content, code, errors):
    path = tmp_path / name
    path.write_bytes(content)
    result = run("classify", str(path))
    assert result.exit_code == code, result.output
    assert [r["error"]["type"] for r in jsonl(result.stdout)] == errors
    assert f"{len(errors)} document" in result.stderr
