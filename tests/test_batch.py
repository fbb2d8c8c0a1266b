"""Batch classification: ordered output on worker processes, bounded work in flight, nothing lost."""
from __future__ import annotations

import codecs
import collections
import csv
import gzip
import io
import itertools
import json
import os
import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from nlp.classify import MAX_CHARS, model_identity, run, split_text
from nlp.cli import app
from nlp.digests import DigestCounter
from nlp.inputs import Article, count_documents, flag_duplicates, iter_inputs
from nlp.parallel import Classifier
from nlp.records import RECORD_FIELDS

runner = CliRunner()

TEXTS = [
    "Officials said the talks collapsed on Monday.\n\nThe missile may have been a new type.",
    "The summit opens on Monday. Analysts believe it could be delayed.",
    "According to state media, the factory produced 300 shells.",
    "Prices rose 4% in May, the statistics office reported.",
    "The minister resigned. Reports suggest he was forced out.",
]


def articles_jsonl(path, n: int, prefix: str = "d") -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": f"{prefix}{i}", "text": TEXTS[i % len(TEXTS)]}) + "\n")


def jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def run_to_string(inputs, **options) -> tuple[str, object]:
    out = io.StringIO()
    summary = run([str(i) for i in inputs], stdout=out, **options)
    return out.getvalue(), summary


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("batch") / "corpus.jsonl"
    articles_jsonl(path, 23)
    return path


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_two_workers_write_what_one_writes_in_input_order(corpus, fmt):
    one, s1 = run_to_string([corpus], fmt=fmt, workers=1, batch_size=3)
    two, s2 = run_to_string([corpus], fmt=fmt, workers=2, batch_size=3)
    assert one == two
    assert (s1.documents, s1.sentences, s1.errors) == (s2.documents, s2.sentences, s2.errors) == (23, s1.sentences, 0)
    if fmt == "jsonl":
        records = jsonl(one)
        order = [r["doc_id"] for r in records]
        assert list(dict.fromkeys(order)) == [f"d{i}" for i in range(23)]
        assert all(set(r) == set(RECORD_FIELDS) for r in records)
    else:
        lines = one.splitlines()
        assert lines[0].startswith("doc_id,") and sum(line.startswith("doc_id,") for line in lines) == 1
        assert len(list(csv.DictReader(io.StringIO(one)))) == s1.sentences


@pytest.mark.parametrize("workers", [1, 2])
def test_input_is_read_only_as_fast_as_it_is_classified(workers):
    """An endless input: the engine pulls at most its window of batches ahead of what it has yielded."""
    model_dir, _ = model_identity(None)
    pulled = 0

    def endless():
        nonlocal pulled
        for i in itertools.count():
            pulled += 1
            yield [(Article(f"x{i}", TEXTS[i % len(TEXTS)], "test"), i)]

    with Classifier(model_dir, workers=workers, fmt="jsonl", batch_size=1, max_chars=MAX_CHARS) as classifier:
        taken = list(itertools.islice(classifier.map(endless()), 5))
        assert [batch[0][0].doc_id for batch, _ in taken] == [f"x{i}" for i in range(5)]
        assert pulled <= 5 + classifier.window


def test_a_dead_worker_stops_the_run_with_a_message(monkeypatch):
    import os
    import signal

    from nlp.errors import ClaimlensError

    model_dir, _ = model_identity(None)
    batches = ([(Article(f"x{i}", TEXTS[i % len(TEXTS)], "test"), i)] for i in range(1000))
    with pytest.raises(ClaimlensError, match="worker process died.*--resume"):
        with Classifier(model_dir, workers=2, fmt="jsonl", batch_size=1, max_chars=MAX_CHARS) as classifier:
            for n, _ in enumerate(classifier.map(batches)):
                if n == 2:
                    os.kill(next(iter(classifier._pool._processes)), signal.SIGKILL)


GZIP_HEADER = gzip.compress(b"")[:10]
# A gzip stream corrupt inside (zlib.error, not an OSError): four bytes of the deflate data overwritten.
CORRUPT_GZIP = GZIP_HEADER + b"\xff" * 4 + gzip.compress(b'{"id": "x", "text": "Fine."}\n' * 50)[14:]
# One case per kind of bad input: an error record in place, the other documents classified, exit 1.
BAD_INPUTS = [
    ("undecodable.txt", b"caf\xe9 au lait", "undecodable"),
    ("empty.txt", b"  \n\n ", "empty"),
    ("lines.jsonl", b'{"id": "x", "text": "Fine text."}\n{"id": "y"}\n', "missing_text"),
    ("lines.jsonl", b'{"id": "x", "text": "Fine text."}\n{"id": "y", "text": \n', "not_json"),
    ("lines.jsonl", b'{"id": "x", "text": "Fine text."}\n{"id": "y", "text": 3}\n', "bad_text"),
    ("lines.jsonl", b'{"id": "x", "text": "Fine text."}\n{"id": "x", "text": "Other text."}\n', "duplicate_id"),
    ("lines.jsonl.gz", gzip.compress(b'{"id": "x", "text": "Fine text."}\n')[:-12], "unreadable"),
    # JSON that json.loads refuses with other errors than JSONDecodeError: an integer over 4300 digits, deep nesting.
    ("lines.jsonl", b'{"id": "x", "text": "Fine text."}\n{"id": ' + b"9" * 5000 + b', "text": "y."}\n', "not_json"),
    ("lines.jsonl", b'{"id": "x", "text": "Fine text."}\n{"id": "y", "m": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n",
     "not_json"),
    # Lone surrogates: valid JSON escapes, but no UTF-8 output can write them.
    ("lines.jsonl", b'{"id": "x", "text": "Fine text."}\n{"id": "y\\udfff", "text": "Other text."}\n', "bad_id"),
    ("lines.jsonl", b'{"id": "x", "text": "Fine text."}\n{"id": "y", "text": "Bad \\ud800 text."}\n', "bad_text"),
    ("lines.jsonl.gz", CORRUPT_GZIP, "unreadable"),
]


@pytest.mark.parametrize("name, content, error_type", BAD_INPUTS)
def test_bad_input_becomes_one_error_record(tmp_path, seed_path, name, content, error_type):
    bad = tmp_path / name
    bad.write_bytes(content)
    result = runner.invoke(app, ["classify", str(seed_path), str(bad), "--quiet"])
    assert result.exit_code == 1, result.output
    records = jsonl(result.stdout)
    errors = [r for r in records if "error" in r]
    assert [e["error"]["type"] for e in errors] == [error_type]
    assert errors[0]["error"]["message"] and errors[0]["doc_id"]
    assert sum(1 for r in records if r["doc_id"] == seed_path.stem and "error" not in r) > 1
    assert "Traceback" not in result.output


# Commands that read articles first look at a .jsonl(.gz) to see whether it is classify output: that look must not
# crash on a corrupt stream, which is then read as articles, one unreadable error record.
@pytest.mark.parametrize("command", [["classify"], ["report", "--format", "json"], ["entities", "--format", "jsonl"],
                                     ["suggest"]], ids=lambda command: command[0])
def test_a_corrupt_gzip_is_an_unreadable_error_for_every_command(tmp_path, seed_path, command):
    bad = tmp_path / "bad.jsonl.gz"
    bad.write_bytes(CORRUPT_GZIP)
    result = runner.invoke(app, [*command, str(seed_path), str(bad)])
    assert result.exit_code == 1, result.output
    assert "bad.jsonl.gz:?" in result.output
    assert "cannot read the file (Error -3 while decompressing data: invalid block type)" in result.output
    assert seed_path.stem in result.stdout  # the good article is still there


def test_bad_inputs_give_the_same_records_on_two_workers(tmp_path, seed_path):
    names = []
    for i, (name, content, _) in enumerate(BAD_INPUTS):
        (tmp_path / f"{i}_{name}").write_bytes(content)
        names.append(str(tmp_path / f"{i}_{name}"))
    one = runner.invoke(app, ["classify", str(seed_path), *names, "--quiet", "--workers", "1", "--batch-size", "2"])
    two = runner.invoke(app, ["classify", str(seed_path), *names, "--quiet", "--workers", "2", "--batch-size", "2"])
    assert one.exit_code == two.exit_code == 1
    assert one.stdout == two.stdout
    # "x" recurs across the files: its later articles are duplicates too.
    assert {r["error"]["type"] for r in jsonl(one.stdout) if "error" in r} == {t for _, _, t in BAD_INPUTS}


def test_lines_json_cannot_read_lose_no_other_line_of_the_batch(tmp_path):
    lines = [json.dumps({"id": f"d{i}", "text": TEXTS[i % len(TEXTS)]}) for i in range(40)]
    lines[13] = '{"id": ' + "9" * 5000 + ', "text": "x."}'
    lines[21] = '{"id": "d21", "text": "x.", "m": ' + "[" * 100_000 + "]" * 100_000 + "}"
    lines[30] = json.dumps({"id": "d30\udfff", "text": "The summit opens."})
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    summary = run([str(path)], output=out, workers=1, batch_size=8)
    records = jsonl(out.read_text(encoding="utf-8"))
    bad = {13: "not_json", 21: "not_json", 30: "bad_id"}
    assert list(dict.fromkeys(r["doc_id"] for r in records)) == [
        f"mixed.jsonl:{i + 1}" if i in bad else f"d{i}" for i in range(40)]
    assert [r["error"]["type"] for r in records if "error" in r] == list(bad.values())
    assert (summary.documents, summary.errors) == (40, 3)


@pytest.mark.parametrize("content, message", [
    (b'{"id": ' + b"9" * 5000 + b"}\n", "line 1 is not JSON (a number has too many digits)"),
    (b"[" * 100_000 + b"]" * 100_000 + b"\n", "line 1 is not JSON (nested too deeply)"),
    (b'{"id": "a\\udfff", "text": "x."}\n',
     "line 1: the id is not valid Unicode (an unpaired surrogate \\udfff at character 1)"),
    (b'{"id": "a", "text": "Bad \\ud800."}\n',
     'line 1: "text" is not valid Unicode (an unpaired surrogate \\ud800 at character 4)'),
    ('{"id": "a", "text": "x."}\n'.encode("utf-16"), "line 1 is not valid UTF-8: it looks like UTF-16"),
])
def test_problem_messages_name_the_line_and_the_cause(tmp_path, content, message):
    path = tmp_path / "a.jsonl"
    path.write_bytes(content)
    assert message in next(iter_inputs([str(path)])).message


@pytest.mark.parametrize("content, message", [
    (b"not gzip", "cannot read the file (Not a gzipped file"),
    (gzip.compress(b"".join(b'{"id": "d%d", "text": "%d."}\n' % (i, i * 7919 % 10007) for i in range(20_000)))[:50_000],
     "cannot read the file after line "),
])
def test_an_unreadable_gzip_says_how_far_it_was_read(tmp_path, content, message):
    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(content)
    problem = list(iter_inputs([str(path)]))[-1]
    assert problem.type == "unreadable" and message in problem.message


def test_a_utf16_article_is_named_as_utf16(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes("The army fired.".encode("utf-16"))
    [problem] = iter_inputs([str(path)])
    assert problem.type == "undecodable" and "looks like UTF-16" in problem.message


def test_a_file_name_that_is_not_utf8_gives_an_id_any_output_can_write(tmp_path):
    (tmp_path / os.fsdecode(b"caf\xe9.txt")).write_text("The army fired.", encoding="utf-8")
    (tmp_path / os.fsdecode(b"\xff.txt")).write_bytes(b"")
    out = tmp_path / "out.jsonl"
    summary = run([str(tmp_path)], output=out, workers=1)
    records = jsonl(out.read_text(encoding="utf-8"))
    assert [(r["doc_id"], r.get("error", {}).get("type")) for r in records] == [("caf\\xe9", None), ("\\xff", "empty")]
    assert records[-1]["origin"].endswith("/\\xff.txt") and summary.errors == 1


@pytest.mark.parametrize("stdin", [False, True])
def test_a_byte_order_mark_before_json_lines_is_skipped(tmp_path, stdin):
    data = b"".join(codecs.BOM_UTF8 + line for line in (b'{"id": "a", "text": "The army fired."}\n',
                                                          b'{"id": "b", "text": "x."}\n'))
    path = tmp_path / "bom.jsonl"
    path.write_bytes(data)
    items = list(iter_inputs(["-"], io.BytesIO(data)) if stdin else iter_inputs([str(path)]))
    assert [(type(i).__name__, i.doc_id, i.text) for i in items] == [
        ("Article", "a", "The army fired."), ("Article", "b", "x.")]


@pytest.mark.parametrize("stdin", [False, True])
@pytest.mark.parametrize("start", [b"\n\n", b"  \r\n", b"\n"])
def test_a_byte_order_mark_on_a_blank_line_is_a_blank_line(tmp_path, stdin, start):
    data = codecs.BOM_UTF8 + start + b'{"id": "a", "text": "The army fired."}\n'
    path = tmp_path / "bom.jsonl"
    path.write_bytes(data)
    items = list(iter_inputs(["-"], io.BytesIO(data)) if stdin else iter_inputs([str(path)]))
    assert [(type(i).__name__, i.doc_id) for i in items] == [("Article", "a")]
    assert stdin or count_documents([str(path)]) == 1


@pytest.mark.parametrize("name, data", [
    ("a.txt", "\ufeffThe army fired. Officials said it may rain.\n".encode("utf-8")),
    ("a.jsonl", json.dumps({"id": "a", "text": "\ufeffThe army fired. Officials said it may rain."}).encode()),
])
def test_offsets_count_a_byte_order_mark(tmp_path, name, data):
    """Offsets index the text as decoded (the mark included), as the README's `text == article[start:end]` says."""
    path = tmp_path / name
    path.write_bytes(data)
    article = data.decode("utf-8") if name.endswith(".txt") else json.loads(data)["text"]
    out, _ = run_to_string([path], workers=1)
    records = jsonl(out)
    assert [r["text"] for r in records] == ["The army fired.", "Officials said it may rain."]
    assert all(article[r["start"]:r["end"]] == r["text"] for r in records)
    assert records[0]["start"] == 1


def test_a_link_back_up_the_tree_is_read_once_and_linked_folders_are_read(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("The army fired.", encoding="utf-8")
    (tmp_path / "in" / "self").symlink_to(".")
    (tmp_path / "in" / "up").symlink_to("..")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "b.txt").write_text("The summit opens.", encoding="utf-8")
    (tmp_path / "in" / "linked").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "in" / "loop1").symlink_to("loop2")
    (tmp_path / "in" / "loop2").symlink_to("loop1")
    assert [i.doc_id for i in iter_inputs([str(tmp_path / "in")])] == ["a", "linked/b"]
    assert count_documents([str(tmp_path / "in")]) == 2


def test_a_txt_link_that_cannot_be_followed_is_an_unreadable_error_record(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("The army fired.", encoding="utf-8")
    (tmp_path / "in" / "l1.txt").symlink_to("l2.txt")
    (tmp_path / "in" / "l2.txt").symlink_to("l1.txt")
    (tmp_path / "in" / "gone.txt").symlink_to("missing.txt")
    (tmp_path / "in" / "gone").symlink_to("missing")  # no .txt: no article, so no error either
    loop = "cannot read file (Too many levels of symbolic links)"
    expected = [("a", "article"), ("gone", "cannot read file (a symbolic link to nothing)"), ("l1", loop), ("l2", loop)]
    items = list(iter_inputs([str(tmp_path / "in")]))
    assert [(i.doc_id, getattr(i, "message", "article")) for i in items] == expected
    assert count_documents([str(tmp_path / "in")]) == 4
    result = runner.invoke(app, ["classify", str(tmp_path / "in"), "--quiet"])
    assert result.exit_code == 1, result.output
    assert [(r["doc_id"], r["error"]["type"]) for r in jsonl(result.stdout) if "error" in r] == [
        ("gone", "unreadable"), ("l1", "unreadable"), ("l2", "unreadable")]


@pytest.mark.parametrize("output, refused", [
    ("elsewhere/out.txt", True),  # in/linked leads there: out.txt would be read back, emptied, as linked/out
    ("elsewhere/deeper/out.txt", True),
    ("elsewhere/out.jsonl", False),  # not an article
    ("out.txt", False),
])
def test_a_txt_output_in_a_folder_an_input_directory_links_to_is_refused(tmp_path, monkeypatch, output, refused):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("The army fired.", encoding="utf-8")
    (tmp_path / "elsewhere" / "deeper").mkdir(parents=True)
    (tmp_path / "in" / "linked").symlink_to(tmp_path / "elsewhere")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["classify", "in", "-o", output, "--quiet"])
    assert result.exit_code == (2 if refused else 0), result.output
    if refused:
        assert result.stderr.strip() == (f"claimlens: error: {output}: the output is inside input directory in, "
                                         "where it would be read as an article; write it elsewhere")


@pytest.mark.parametrize("command, link, output, destroyed", [
    ("classify", os.link, "out.jsonl", "in/a.txt"),  # a hard link: one file, two names
    ("classify", os.symlink, "out.jsonl", "in/a.txt"),
    ("report", os.link, "out.html", "in/a.txt"),
    ("suggest", os.link, "out.jsonl", "in/a.txt"),
    ("classify", os.link, "out.jsonl", "in/linked/b.txt"),  # reached through a linked folder
])
def test_an_output_that_is_an_article_an_input_directory_holds_is_refused(tmp_path, monkeypatch, command, link,
                                                                         output, destroyed):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("The army fired.", encoding="utf-8")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "b.txt").write_text("The summit opens.", encoding="utf-8")
    (tmp_path / "in" / "linked").symlink_to(tmp_path / "elsewhere")
    monkeypatch.chdir(tmp_path)
    link(os.path.abspath(destroyed), output)
    result = runner.invoke(app, [command, "in", "-o", output])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == (f"claimlens: error: {output}: the output is one of the inputs; "
                                     f"writing it would destroy {destroyed}")
    assert (tmp_path / "in" / "a.txt").read_text(encoding="utf-8") == "The army fired."
    assert (tmp_path / "elsewhere" / "b.txt").read_text(encoding="utf-8") == "The summit opens."


@pytest.mark.parametrize("command", ["classify", "report", "suggest"])
def test_an_output_that_is_the_file_stdin_reads_is_refused(tmp_path, repo, command):
    article = tmp_path / "a.txt"
    article.write_text("The army fired.", encoding="utf-8")
    with open(article, "rb") as stdin:  # a real descriptor: what `< a.txt` gives, and what /dev/stdin names
        result = subprocess.run([sys.executable, "-m", "nlp", command, "-", "-o", "/dev/stdin"], cwd=repo,
                                stdin=stdin, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == ("claimlens: error: /dev/stdin: the output is one of the inputs; "
                                     "writing it would destroy stdin")
    assert article.read_text(encoding="utf-8") == "The army fired."


@pytest.mark.parametrize("args", [
    ["classify", "SEED"], ["entities", "SEED"],
    ["entities", "SEED", "--format", "jsonl"], ["report", "SEED"], ["suggest", "SEED"], ["evaluate", "--format", "json"],
    ["models", "list"],
])
def test_a_closed_stdout_is_one_line_and_exit_2(repo, seed_path, args):
    args = [str(seed_path) if arg == "SEED" else arg for arg in args]
    result = subprocess.run([sys.executable, "-m", "nlp", *args], cwd=repo, stdin=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, timeout=300,
                            preexec_fn=lambda: os.close(1))  # `>&-`: Python starts with sys.stdout None
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == "claimlens: error: stdout: cannot write (it is closed)"


@pytest.mark.parametrize("args", [
    ["classify", "SEED", "-o", "out.jsonl.gz"], ["classify", "SEED", "-o", "out.csv.GZ", "--resume"],
    ["report", "SEED", "-o", "out.json.gz"], ["suggest", "SEED", "-o", "out.jsonl.gz"],
    ["labels", "import", "LABELS", "-o", "out.jsonl.gz"], ["labels", "import", "LABELS", "--report", "out.json.gz"],
])
def test_an_output_named_gz_is_refused_before_any_work(tmp_path, monkeypatch, seed_path, args):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "labels.csv").write_text("text,label\nRockets hit the town.,fact\n", encoding="utf-8")
    args = [{"SEED": str(seed_path), "LABELS": "labels.csv"}.get(arg, arg) for arg in args]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    name = args[-2] if args[-1] == "--resume" else args[-1]
    assert result.stderr.strip() == (f"claimlens: error: {name}: cannot write gzip; name the output without .gz "
                                     "(and compress it when done)")
    assert not list(tmp_path.glob("out*"))


def test_an_unreadable_folder_is_an_error_record_and_an_unreadable_input_a_usage_error(tmp_path, monkeypatch):
    import os as os_module

    from nlp.errors import InputError
    from nlp.inputs import check_inputs

    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("The summit opens.", encoding="utf-8")
    (tmp_path / "a.txt").write_text("The army fired.", encoding="utf-8")
    (tmp_path / "z.txt").write_text("Prices rose.", encoding="utf-8")
    real_scandir = os_module.scandir
    locked = {str(tmp_path / "sub")}

    def scandir(path="."):  # chmod 000 does not stop root, who runs the tests in some containers
        if str(path) in locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os_module, "scandir", scandir)
    items = list(iter_inputs([str(tmp_path)]))
    assert [(i.doc_id, getattr(i, "type", "article")) for i in items] == [
        ("a", "article"), ("sub/", "unreadable"), ("z", "article")]
    assert items[1].message == "cannot read directory (Permission denied)"
    assert count_documents([str(tmp_path)]) == 3
    locked.add(str(tmp_path))
    with pytest.raises(InputError, match="cannot read directory \\(Permission denied\\)"):
        check_inputs([str(tmp_path)])


def test_upper_case_suffixes_are_read(tmp_path):
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "OLD.TXT").write_text("The army fired.", encoding="utf-8")
    (tmp_path / "NEWS.JSONL").write_text('{"id": "n", "text": "Prices rose."}\n', encoding="utf-8")
    (tmp_path / "TOP.Txt").write_text("The summit opens.", encoding="utf-8")
    names = [str(tmp_path / "dir"), str(tmp_path / "NEWS.JSONL"), str(tmp_path / "TOP.Txt")]
    assert [i.doc_id for i in iter_inputs(names)] == ["OLD", "n", "TOP"]


@pytest.mark.parametrize("make_inputs, message", [
    (lambda tmp: ["-", "-"], "- (stdin) is given more than once"),
    (lambda tmp: [str((tmp / "x.pdf").write_bytes(b"%PDF") and tmp / "x.pdf")], ".jsonl.gz, .ndjson or a directory"),
    (lambda tmp: [str((tmp / "l.txt").symlink_to(tmp / "missing.txt") or tmp / "l.txt")], "a symbolic link to nothing"),
])
def test_inputs_that_cannot_be_read_at_all(tmp_path, make_inputs, message):
    from nlp.errors import InputError
    from nlp.inputs import check_inputs

    with pytest.raises(InputError, match=re.escape(message)):
        check_inputs(make_inputs(tmp_path))


def test_duplicate_ids_flagged_not_dropped(tmp_path, seed_path):
    result = runner.invoke(app, ["classify", str(seed_path), str(seed_path), "--quiet"])
    assert result.exit_code == 1
    records = jsonl(result.stdout)
    assert records[-1]["error"]["type"] == "duplicate_id" and records[-1]["doc_id"] == seed_path.stem
    assert all("error" not in r for r in records[:-1])


def test_flag_duplicates_keeps_the_first_whatever_it_is():
    from nlp.inputs import InputProblem

    items = [InputProblem("a", "empty", "m", "o"), Article("a", "t", "o"), Article("b", "t", "o"),
             Article("b", "u", "o"), InputProblem("b", "empty", "m", "o")]
    assert [getattr(i, "type", "article") for i in flag_duplicates(items)] == [
        "empty", "duplicate_id", "article", "duplicate_id", "empty"]


def test_a_failing_document_is_an_error_record_and_the_batch_goes_on(corpus, monkeypatch):
    import nlp.classify

    real = nlp.classify.doc_records

    def fragile(doc_id, doc, offset=0):
        if doc_id == "d3":
            raise RuntimeError("boom")
        return real(doc_id, doc, offset)

    monkeypatch.setattr(nlp.classify, "doc_records", fragile)
    out, summary = run_to_string([corpus], workers=1, batch_size=4)
    records = jsonl(out)
    failed = [r for r in records if "error" in r]
    assert [(r["doc_id"], r["error"]["type"]) for r in failed] == [("d3", "processing_error")]
    assert "boom" in failed[0]["error"]["message"]
    assert summary.errors == 1 and summary.documents == 23
    assert {r["doc_id"] for r in records} == {f"d{i}" for i in range(23)}


def test_huge_document_is_classified_in_pieces_never_dropped(tmp_path):
    paragraphs = [f"Officials said talks number {i} collapsed. The deal may be revived." for i in range(40)]
    text = "\n\n".join(paragraphs)
    path = tmp_path / "huge.jsonl"
    path.write_text(json.dumps({"id": "huge", "text": text}) + "\n", encoding="utf-8")
    out, summary = run_to_string([path], workers=1, max_chars=300)
    records = jsonl(out)
    assert summary.errors == 0 and len(records) == 80
    assert [r["index"] for r in records] == list(range(80))
    for record in records:
        assert record["text"] == text[record["start"]:record["end"]]
        for item in record["cues"] + record["entities"]:
            assert text[item["start"]:item["end"]].lower() == item["text"].lower()
    whole, _ = run_to_string([path], workers=1)
    assert [r["text"] for r in jsonl(whole)] == [r["text"] for r in records]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab \n.", max_size=400), st.integers(min_value=1, max_value=60))
def test_split_text_covers_the_text_in_bounded_pieces(text, max_chars):
    pieces = split_text(text, max_chars)
    assert "".join(piece for _, piece in pieces) == text
    assert all(text[offset:offset + len(piece)] == piece for offset, piece in pieces)
    assert all(len(piece) <= max_chars for _, piece in pieces)
    for offset, piece in pieces[:-1]:
        # A piece with a blank line in reach ends at the last one.
        if "\n\n" in text[offset + 1:offset + max_chars]:
            assert piece.endswith("\n\n")


def test_split_text_prefers_paragraphs():
    text = "aaa bbb.\n\nccc ddd.\n\neee."
    assert split_text(text, 12) == [(0, "aaa bbb.\n\n"), (10, "ccc ddd.\n\n"), (20, "eee.")]
    assert split_text("x" * 10, 4) == [(0, "xxxx"), (4, "xxxx"), (8, "xx")]
    assert split_text("short", MAX_CHARS) == [(0, "short")]


@given(st.lists(st.tuples(st.sampled_from(["add", "take"]), st.integers(min_value=1, max_value=40)), max_size=300))
def test_digest_counter_is_a_multiset(operations):
    counter, reference = DigestCounter(capacity=2), collections.Counter()
    for op, key in operations:
        key = key * 0x9E3779B97F4A7C15 % (1 << 64) or 1
        if op == "add":
            assert counter.add(key) == reference[key]
            reference[key] += 1
        else:
            assert counter.take(key) == (reference[key] > 0)
            if reference[key]:
                reference[key] -= 1
    assert len(counter) == sum(reference.values())
    assert all(counter.count(k) == v for k, v in reference.items())


def test_nested_directories_give_relative_ids_and_counts(tmp_path):
    for folder in ("2024-05-01", "2024-05-02"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "markets.txt").write_text("Prices rose.", encoding="utf-8")
    (tmp_path / "top.txt").write_text("The summit opens.", encoding="utf-8")
    assert [a.doc_id for a in iter_inputs([str(tmp_path)])] == ["2024-05-01/markets", "2024-05-02/markets", "top"]
    lines = tmp_path / "a.jsonl.gz"
    lines.write_bytes(gzip.compress(b'{"id": 1, "text": "x"}\n\n{"id": 2, "text": "y"}\n'))
    assert count_documents([str(tmp_path), str(lines)]) == 5
    assert count_documents(["-"]) is None


def test_stdin_jsonl_with_workers(corpus):
    result = runner.invoke(app, ["classify", "-", "--quiet", "--workers", "2"], input=corpus.read_bytes())
    assert result.exit_code == 0, result.output
    assert list(dict.fromkeys(r["doc_id"] for r in jsonl(result.stdout))) == [f"d{i}" for i in range(23)]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--resume"], "--resume needs an output file"),
        (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler needs --engine dask"),
        (["--resume", "-o", "{tmp}/x.txt", "--format", "table"], "not table"),
        (["--engine", "dask"], "needs an output directory"),
        (["--workers", "0"], "Usage:"),
        (["-o", "{tmp}/no/such/folder/out.jsonl"], "/no/such/folder/out.jsonl: cannot write (No such file"),
        (["-"] * 2, "- (stdin) is given more than once"),
    ],
)
def test_usage_errors_exit_2(tmp_path, seed_path, args, message):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = runner.invoke(app, ["classify", str(seed_path), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_summary_line_and_no_progress_bar_off_a_terminal(corpus):
    result = runner.invoke(app, ["classify", str(corpus), "--workers", "1"])
    assert result.exit_code == 0
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]  # one line: no progress bar
    assert result.stderr.startswith("claimlens: 23 documents, ") and "0 errors in " in result.stderr
    assert runner.invoke(app, ["classify", str(corpus), "--quiet", "--workers", "1"]).stderr == ""


def test_progress_bar_shows_rates_and_eta():
    from rich.console import Console

    from nlp.classify import RunSummary
    from nlp.progress import ProgressBar

    stream = io.StringIO()
    bar = ProgressBar(Console(file=stream, force_terminal=True, width=150))
    with bar:
        bar.update(RunSummary(documents=10, sentences=40), skipped=0)
        bar.set_total(100)
        bar.progress.refresh()
    shown = stream.getvalue()
    assert "10/100 docs" in shown and "docs/s" in shown and "sentences/s" in shown and "ETA" in shown
