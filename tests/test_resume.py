"""Resuming: a run killed at any moment, resumed, writes exactly what an uninterrupted run writes."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import default_sigint
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from nlp.classify import run
from nlp.cli import app
from nlp.errors import UsageError
from nlp.resume import ResumableOutput, ledger_path

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()

SHORT = [
    "Officials said the talks collapsed.",
    "The missile may have been a new type. Analysts believe it flew 600 km.",
    "Prices rose 4% in May, the statistics office reported.",
    "",  # an error record among the rest
    "According to state media, the factory produced 300 shells.",
    "The minister resigned.\n\nReports suggest he was forced out.",
]


def write_corpus(path: Path, texts: list[str], copies: int = 1) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for copy in range(copies):
            for i, text in enumerate(texts):
                fh.write(json.dumps({"id": f"c{copy}-{i}", "text": text}, ensure_ascii=False) + "\n")
        fh.write(json.dumps({"id": "c0-0", "text": "A duplicate id."}) + "\n")


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted run's FILE and ledger, for jsonl and csv."""
    root = tmp_path_factory.mktemp("reference")
    corpus = root / "corpus.jsonl"
    write_corpus(corpus, SHORT)
    out = {}
    for fmt in ("jsonl", "csv"):
        path = root / f"out.{fmt}"
        summary = run([str(corpus)], output=path, fmt=fmt, workers=1, batch_size=2)
        out[fmt] = (path.read_bytes(), ledger_path(path).read_bytes(), summary)
    return corpus, out


def kill_states(data: bytes, ledger: bytes):
    """Every (FILE bytes, ledger bytes) a kill can leave, as a strategy.

    Records are written and flushed before their ledger line, so with ``j`` complete ledger
    entries FILE holds at least their records and at most those of the next document.
    """
    lines = ledger.splitlines(keepends=True)
    ends = [json.loads(lines[0])["start"]] + [json.loads(line)["end"] for line in lines[1:]]
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    @st.composite
    def state(draw):
        cut = draw(st.integers(min_value=0, max_value=len(ledger)))
        complete = sum(1 for end in offsets[1:] if end <= cut)  # header + entries
        if complete == 0:
            return None, ledger[:cut]  # killed before FILE was created
        j = complete - 1
        high = ends[j + 1] if j + 1 < len(ends) else ends[j]
        if cut > offsets[complete]:  # a partial ledger line: its document's records are all in FILE
            return data[:ends[j + 1]], ledger[:cut]
        if j == 0:  # the ledger header is written before FILE is created, then FILE's own header
            if draw(st.booleans()):
                return None, ledger[:cut]
            return data[:draw(st.integers(min_value=0, max_value=high))], ledger[:cut]
        return data[:draw(st.integers(min_value=ends[j], max_value=high))], ledger[:cut]

    return state()


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_resume_after_a_kill_at_any_moment_writes_what_an_uninterrupted_run_writes(reference, tmp_path, fmt):
    corpus, out = reference
    data, ledger, summary = out[fmt]

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(kill_states(data, ledger))
    def check(state):
        partial, partial_ledger = state
        path = tmp_path / f"resumed.{fmt}"
        path.unlink(missing_ok=True)
        if partial is not None:
            path.write_bytes(partial)
        ledger_path(path).write_bytes(partial_ledger)
        resumed = run([str(corpus)], output=path, fmt=fmt, workers=1, batch_size=2, resume=True)
        assert path.read_bytes() == data
        assert ledger_path(path).read_bytes() == ledger
        assert (resumed.documents, resumed.sentences, resumed.errors) == (
            summary.documents, summary.sentences, summary.errors)

    check()


def test_resume_classifies_new_and_edited_documents_only(tmp_path):
    corpus, path = tmp_path / "corpus.jsonl", tmp_path / "out.jsonl"
    write_corpus(corpus, SHORT[:3])
    first = run([str(corpus)], output=path, workers=1)
    before = path.read_bytes()
    # Edit one article and add one: the edited one is classified again, the new one added.
    texts = [SHORT[0], "The missile may have been an old type.", SHORT[2], SHORT[4]]
    write_corpus(corpus, texts)
    second = run([str(corpus)], output=path, workers=1, resume=True)
    assert second.resumed == first.documents
    records = [json.loads(line) for line in path.read_bytes().splitlines()]
    assert path.read_bytes().startswith(before)
    appended = records[len(before.splitlines()):]
    assert list(dict.fromkeys(r["doc_id"] for r in appended)) == ["c0-1", "c0-3"]
    # Nothing new: nothing written.
    third = run([str(corpus)], output=path, workers=1, resume=True)
    assert third.documents == second.documents and path.read_bytes().count(b"\n") == len(records)


def test_resume_refuses_what_it_cannot_resume(tmp_path, seed_path):
    foreign = tmp_path / "foreign.jsonl"
    foreign.write_text('{"doc_id": "x"}\n', encoding="utf-8")
    result = runner.invoke(app, ["classify", str(seed_path), "-o", str(foreign), "--resume"])
    assert result.exit_code == 2 and "has no ledger" in result.stderr
    assert foreign.read_text(encoding="utf-8") == '{"doc_id": "x"}\n' and not ledger_path(foreign).exists()

    out = tmp_path / "out.csv"
    assert runner.invoke(app, ["classify", str(seed_path), "-o", str(out), "-q"]).exit_code == 0  # csv, by its name
    result = runner.invoke(app, ["classify", str(seed_path), "-o", str(out), "-f", "jsonl", "--resume"])
    assert result.exit_code == 2 and "format 'csv'" in result.stderr

    with ResumableOutput(out, fmt="csv", model="claimlens-news-1", resume=True):
        with pytest.raises(UsageError, match="another claimlens run"):
            ResumableOutput(out, fmt="csv", model="claimlens-news-1", resume=True)


def test_resume_with_nothing_there_starts_afresh(tmp_path, seed_path):
    out = tmp_path / "new.jsonl"
    result = runner.invoke(app, ["classify", str(seed_path), "-o", str(out), "--resume"])
    assert result.exit_code == 0 and out.read_bytes()


# A real process, killed from outside.
def big_corpus(path: Path) -> int:
    docs = [json.loads(line) for line in open(REPO / "training" / "data" / "docs.jsonl", encoding="utf-8")]
    with open(path, "w", encoding="utf-8") as fh:
        for copy in range(1):
            for doc in docs:
                fh.write(json.dumps({"id": f"{doc['id']}-{copy}", "text": doc["text"]}) + "\n")
    return len(docs)


def start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "nlp", "classify", *args], cwd=REPO,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True, preexec_fn=default_sigint,
    )


def wait_for_entries(ledger: Path, n: int, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ledger.exists() and ledger.read_bytes().count(b"\n") > n:
            return
        assert process.poll() is None, process.stderr.read().decode()
        time.sleep(0.02)
    raise AssertionError("the run made no progress")


def whole_records(data: bytes) -> list[dict]:
    *complete, tail = data.split(b"\n")
    # Each document's records go in one write: a kill leaves whole lines (a torn last write is
    # possible in principle on a huge document; resuming removes it).
    assert tail == b""
    return [json.loads(line) for line in complete]


@pytest.fixture(scope="module")
def big_reference(tmp_path_factory):
    root = tmp_path_factory.mktemp("big")
    corpus, reference = root / "corpus.jsonl", root / "reference.jsonl"
    n = big_corpus(corpus)
    run([str(corpus)], output=reference, workers=1, batch_size=4)
    return corpus, reference, n


@pytest.mark.slow
@pytest.mark.parametrize("sig, status", [(signal.SIGKILL, -signal.SIGKILL), (signal.SIGINT, 130)])
def test_killed_process_resumes_to_exactly_the_uninterrupted_output(tmp_path, big_reference, sig, status):
    corpus, reference, n = big_reference
    out = tmp_path / "out.jsonl"
    process = start([str(corpus), "-o", str(out), "--workers", "2", "--batch-size", "1", "--quiet"])
    try:
        wait_for_entries(ledger_path(out), 5, process)
        os.kill(process.pid, sig)
        assert process.wait(timeout=60) == status
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # orphaned workers, if any
        except ProcessLookupError:
            pass
    records = whole_records(out.read_bytes())
    done = len({r["doc_id"] for r in records})
    assert 0 < done < n

    if sig == signal.SIGKILL:
        resumed = start([str(corpus), "-o", str(out), "--resume", "--workers", "2", "--quiet"])
        assert resumed.wait(timeout=300) == 0, resumed.stderr.read().decode()
    else:  # in-process, to keep the suite fast
        assert run([str(corpus)], output=out, workers=1, resume=True).resumed == done
    assert out.read_bytes() == reference.read_bytes()
    assert ledger_path(out).read_bytes() == ledger_path(reference).read_bytes()


def test_first_ctrl_c_stops_at_the_next_document_boundary(python_sigint):
    from nlp.classify import StopOnInterrupt

    with StopOnInterrupt() as stop:
        os.kill(os.getpid(), signal.SIGINT)  # the first Ctrl-C only asks
        assert stop.requested
        written = ["records", "ledger line"]  # the document being written finishes
        with pytest.raises(KeyboardInterrupt):
            stop.check()
    assert written == ["records", "ledger line"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_second_ctrl_c_interrupts_at_once(python_sigint):
    from nlp.classify import StopOnInterrupt

    with pytest.raises(KeyboardInterrupt):
        with StopOnInterrupt():
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)  # not reached: the second signal raises here
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_ignored_ctrl_c_stays_ignored(python_sigint):
    from nlp.classify import StopOnInterrupt

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as under nohup or a shell's "cmd &"
    with StopOnInterrupt() as stop:
        os.kill(os.getpid(), signal.SIGINT)
        assert not stop.requested
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN


def test_no_ctrl_c_means_no_stop(python_sigint):
    from nlp.classify import StopOnInterrupt

    with StopOnInterrupt() as stop:
        stop.check()
        assert not stop.requested
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
