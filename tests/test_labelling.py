"""The labelling loop: keys, undo, resume, crash safety; and the suggest → label → train --add round trip."""
from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import pytest
from conftest import default_sigint
from typer.testing import CliRunner

from nlp.cli import app
from nlp.errors import InputError
from nlp.label_import import file_sha256, import_labels
from nlp.labelling import (
    LabelsFile, Session, default_labels_path, item_id, read_suggestions, run,
)

runner = CliRunner()

SUGGESTIONS = [
    {"id": "d1:0", "doc_id": "d1", "index": 0, "start": 0, "end": 33, "text": "The talks collapsed on Monday.",
     "context_before": [], "context_after": ["Officials confirmed it."], "model_label": "reported_fact",
     "probs": {"reported_fact": 0.5, "attribution": 0.3, "speculation": 0.2}},
    {"id": "d1:1", "doc_id": "d1", "text": "Officials confirmed it.", "model_label": "attribution"},
    {"id": "d2:4", "doc_id": "d2", "text": "Prices may rise again.", "model_label": "speculation"},
    {"id": "d3:0", "doc_id": "d3", "text": "Read in Korean", "model_label": "reported_fact"},
]


def write_suggestions(tmp_path, items=SUGGESTIONS):
    path = tmp_path / "suggestions.jsonl"
    path.write_text("".join(json.dumps(item) + "\n" for item in items))
    return path


def answers(path) -> list[tuple[str, str | None, str]]:
    return [(r["id"], r["label"], r["answer"]) for r in map(json.loads, path.read_text().splitlines())]


def session(tmp_path, items=SUGGESTIONS, name="labels.jsonl") -> Session:
    return Session(list(items), LabelsFile(tmp_path / name), annotator="tester")


@pytest.mark.parametrize("keys,expected", [
    ("1", [("d1:0", "reported_fact", "accept")]),
    ("2", [("d1:0", "attribution", "accept")]),
    ("3", [("d1:0", "speculation", "accept")]),
    ("0", [("d1:0", "none", "accept")]),
    ("s", [("d1:0", None, "ignore")]),
    ("1s30", [("d1:0", "reported_fact", "accept"), ("d1:1", None, "ignore"),
              ("d2:4", "speculation", "accept"), ("d3:0", "none", "accept")]),
    ("12u", [("d1:0", "reported_fact", "accept")]),
    ("12uu3", [("d1:0", "speculation", "accept")]),
    ("u1", [("d1:0", "reported_fact", "accept")]),  # nothing to undo yet
    ("x9\r1", [("d1:0", "reported_fact", "accept")]),  # unknown keys do nothing
    ("1q2", [("d1:0", "reported_fact", "accept")]),  # q stops
])
def test_keys(tmp_path, keys, expected):
    s = session(tmp_path)
    for key in keys:
        if s.press(key).kind == "quit":
            break
    assert answers(tmp_path / "labels.jsonl") == expected if expected else not (tmp_path / "labels.jsonl").exists()


def test_answers_carry_what_import_needs(tmp_path):
    s = session(tmp_path)
    event = s.press("2")
    assert event.kind == "labelled" and event.label == "attribution" and event.item["id"] == "d1:0"
    record = json.loads((tmp_path / "labels.jsonl").read_text())
    assert record["text"] == "The talks collapsed on Monday." and record["context_after"] == ["Officials confirmed it."]
    assert record["doc_id"] == "d1" and record["labelled_by"] == "tester" and record["model_label"] == "reported_fact"
    assert "probs" not in record and record["labelled_at"]
    report = import_labels([tmp_path / "labels.jsonl"])
    assert [(r.text, r.label) for r in report.records] == [("The talks collapsed on Monday.", "attribution")]


def test_resume_skips_answered_and_undo_reaches_the_earlier_session(tmp_path):
    first = session(tmp_path)
    for key in "1s":
        first.press(key)
    second = session(tmp_path)
    assert second.current["id"] == "d2:4" and second.done == 2 and second.total == 4
    second.press("3")
    assert second.press("u").item["id"] == "d2:4"
    undone = second.press("u")  # the skip written by the first session
    assert undone.kind == "undone" and undone.item["id"] == "d1:1"
    assert second.current["id"] == "d1:1"
    assert answers(tmp_path / "labels.jsonl") == [("d1:0", "reported_fact", "accept")]


def test_a_half_written_last_line_is_dropped_and_reported(tmp_path):
    s = session(tmp_path)
    s.press("1")
    with open(tmp_path / "labels.jsonl", "ab") as fh:
        fh.write(b'{"id": "d1:1", "text": "Offic')  # killed mid-write
    resumed = LabelsFile(tmp_path / "labels.jsonl")
    assert resumed.repaired and "incomplete last line" in resumed.repaired
    assert answers(tmp_path / "labels.jsonl") == [("d1:0", "reported_fact", "accept")]


def test_a_broken_line_in_the_middle_is_an_error(tmp_path):
    path = tmp_path / "labels.jsonl"
    path.write_text('{"id": "a"}\nnot json\n{"id": "b"}\n')
    with pytest.raises(InputError, match="line 2"):
        LabelsFile(path)


@pytest.mark.parametrize("content,message", [
    ('{"text": "ok"}\nnot json\n', "2: not JSON"),
    ('{"text": ""}\n', 'non-empty "text"'),
    ('{"id": 3}\n', 'non-empty "text"'),
])
def test_bad_suggestion_files(tmp_path, content, message):
    path = tmp_path / "s.jsonl"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        read_suggestions(path)


def test_suggestions_without_ids_and_repeated(tmp_path):
    items = [{"text": "A sentence.", "doc_id": "x"}, {"text": "A sentence.", "doc_id": "x"}, {"text": "B."}]
    loaded = read_suggestions(write_suggestions(tmp_path, items))
    assert [i["text"] for i in loaded] == ["A sentence.", "B."]
    assert item_id(loaded[0]) != item_id(loaded[1])
    assert default_labels_path(tmp_path / "suggestions.jsonl").name == "suggestions.labels.jsonl"


class RecordingView:
    def __init__(self):
        self.shown, self.events, self.finished = [], [], None

    def show(self, item, position, total):
        self.shown.append((item["id"], position, total))

    def event(self, event):
        self.events.append(event.kind)

    def finish(self, session, finished):
        self.finished = (finished, session.done)


def test_run_to_the_end(tmp_path):
    view = RecordingView()
    keys = iter("1x2u230")
    assert run(session(tmp_path), lambda: next(keys), view) is True
    assert view.shown == [("d1:0", 1, 4), ("d1:1", 2, 4), ("d2:4", 3, 4),  # an unknown key shows nothing new
                          ("d1:1", 2, 4), ("d2:4", 3, 4), ("d3:0", 4, 4)]  # undo shows d1:1 again
    assert view.events == ["labelled", "invalid", "labelled", "undone", "labelled", "labelled", "labelled"]
    assert view.finished == (True, 4)


def test_ctrl_c_loses_nothing(tmp_path):
    def keys():
        yield "1"
        yield "3"
        raise KeyboardInterrupt

    stream = keys()
    view = RecordingView()
    with pytest.raises(KeyboardInterrupt):
        run(session(tmp_path), lambda: next(stream), view)
    assert view.finished == (False, 2)
    assert answers(tmp_path / "labels.jsonl") == [("d1:0", "reported_fact", "accept"), ("d1:1", "speculation", "accept")]


def test_label_command(tmp_path):
    suggestions = write_suggestions(tmp_path)
    result = runner.invoke(app, ["label", str(suggestions), "--annotator", "tester"], input="12q")
    assert result.exit_code == 0, result.output
    out = default_labels_path(suggestions)
    assert answers(out) == [("d1:0", "reported_fact", "accept"), ("d1:1", "attribution", "accept")]
    assert "The talks collapsed on Monday." in result.stdout and "model: fact" in result.stdout
    assert "stopped: 2/4 answered" in result.stdout
    # Resume: input ends (EOF) after two more answers; then the file holds all four.
    again = runner.invoke(app, ["label", str(suggestions), "-o", str(out)], input="s0")
    assert again.exit_code == 0, again.output
    assert "all suggestions answered: 4/4" in again.stdout
    assert [a[1] for a in answers(out)] == ["reported_fact", "attribution", None, "none"]


@pytest.mark.parametrize("output", ["{suggestions}", "{tmp}/./suggestions.jsonl", "{tmp}/link.jsonl"],
                         ids=["same", "dot", "symlink"])
def test_answers_written_into_the_suggestions_file_are_refused(tmp_path, output):
    suggestions = write_suggestions(tmp_path)
    (tmp_path / "link.jsonl").symlink_to(suggestions)
    before = suggestions.read_bytes()
    target = output.format(suggestions=suggestions, tmp=tmp_path)
    result = runner.invoke(app, ["label", str(suggestions), "-o", target], input="1q")
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines() == [
        f"claimlens: error: {Path(target)}: the output is one of the inputs; writing it would destroy {suggestions}"]
    assert suggestions.read_bytes() == before


def test_quitting_before_any_answer_says_nothing_was_saved(tmp_path):
    suggestions = write_suggestions(tmp_path)
    result = runner.invoke(app, ["label", str(suggestions)], input="q")
    assert result.exit_code == 0, result.output
    assert "stopped: 0/4 answered, nothing saved" in result.stdout
    assert not default_labels_path(suggestions).exists()


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_label_in_a_real_terminal_and_ctrl_c(tmp_path, repo):
    import pty
    import select

    suggestions = write_suggestions(tmp_path)
    out = tmp_path / "labels.jsonl"
    pid, fd = pty.fork()
    if pid == 0:  # the child: claimlens label on the pseudo-terminal
        default_sigint()
        os.chdir(repo)
        os.execv(sys.executable, [sys.executable, "-m", "nlp", "label", str(suggestions), "-o", str(out)])

    screen = bytearray()

    def wait_for(marker: bytes, times: int = 1, timeout: float = 20) -> bool:
        deadline = time.monotonic() + timeout
        while screen.count(marker) < times and time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                try:
                    screen.extend(os.read(fd, 4096))
                except OSError:  # the child closed the terminal
                    break
        return screen.count(marker) >= times

    try:
        assert wait_for(b"[q] quit")
        os.write(fd, b"23")  # typed ahead: the second key arrives while the next sentence is drawn
        assert wait_for(b"[q] quit", times=3)
        os.write(fd, b"\x03")  # Ctrl-C
        wait_for(b"interrupted")
    finally:
        for _ in range(100):  # never hang the suite on a child that did not stop
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.1)
        else:
            os.kill(pid, 9)
            _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert b"3/4" in screen and b"saved in" in screen
    assert os.WEXITSTATUS(status) == 130
    assert answers(out) == [("d1:0", "attribution", "accept"), ("d1:1", "speculation", "accept")]


def test_round_trip_suggest_label_train(tmp_path, seed_path, small_corpus, small_models, monkeypatch):
    # A registry of our own (never the repo's models/), holding a model trained on the small corpus.
    models = tmp_path / "models"
    shutil.copytree(small_models, models)
    monkeypatch.setenv("CLAIMLENS_MODELS_DIR", str(models))

    # 1. suggest, with that registry's default model
    suggestions = tmp_path / "suggestions.jsonl"
    result = runner.invoke(app, ["suggest", str(seed_path), "-n", "6", "-o", str(suggestions), "-q"])
    assert result.exit_code == 0, result.output
    assert len(suggestions.read_text().splitlines()) == 6

    # 2. label them from the keyboard (CliRunner input): labels, a skip, an undo, a not-a-claim
    labels = tmp_path / "desk.labels.jsonl"
    result = runner.invoke(app, ["label", str(suggestions), "-o", str(labels)], input="12s3u3120")
    assert result.exit_code == 0, result.output
    recorded = answers(labels)
    assert [label for _, label, _ in recorded] == ["reported_fact", "attribution", None, "speculation",
                                                   "reported_fact", "attribution"]

    # 3. train on the small corpus + the labels
    result = runner.invoke(app, ["train", "--data", str(small_corpus), "--add", str(labels),
                                 "--snapshots", str(tmp_path / "snapshots")])
    assert result.exit_code == 0, result.output
    assert "vs claimlens-news-1 (default)" in result.stdout and "macro-F1" in result.stdout

    # 4. a new registered model whose meta.json records the labels file's hash and the snapshot
    meta = json.loads((models / "claimlens-news-2" / "meta.json").read_text())
    added = meta["training_data"]["added"]
    assert [a["sha256"] for a in added] == [file_sha256(labels)]
    assert added[0]["accepted"] == 5  # the skip is not a label
    snapshot = meta["training_data"]["snapshot"]
    assert snapshot["sha256"] == meta["training_data"]["sha256"] and snapshot["sentences_added"] == 5
    assert (models / "DEFAULT").read_text().strip() == "claimlens-news-1"  # not promoted without asking
    listing = runner.invoke(app, ["models", "list", "--format", "json"])
    assert [m["model"] for m in json.loads(listing.stdout)] == ["claimlens-news-1", "claimlens-news-2"]


@pytest.mark.parametrize("answers_file, reason", [  # each refused before the first question
    ("{tmp}", "Is a directory"),
    ("/dev/full", "not a regular file; answers are read back to resume"),  # reading it back never ends
])
def test_an_answers_file_that_cannot_be_written_is_one_line_and_exit_2(tmp_path, answers_file, reason):
    if not Path(answers_file.format(tmp=tmp_path)).exists():
        pytest.skip(f"needs {answers_file}")
    target = answers_file.format(tmp=tmp_path)
    result = runner.invoke(app, ["label", str(write_suggestions(tmp_path)), "-o", target], input="1q")
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines()[-1] == f"claimlens: error: {target}: cannot write ({reason})"
