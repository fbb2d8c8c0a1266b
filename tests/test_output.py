"""Outputs from a real process (a full disk, a reader that stops early), workers that die with it, long documents."""
from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "seeds" / "000_e5d1821d8056c6b7.txt"


def claimlens(*args: str, stdout=subprocess.DEVNULL, preexec_fn=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nlp", *args], cwd=REPO, stdout=stdout, stderr=subprocess.PIPE,
                          preexec_fn=preexec_fn, timeout=300)


def _one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stderr.decode()
    [line] = result.stderr.decode().splitlines()
    return line


@pytest.mark.slow
@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["classify", str(SEED)], ["models", "list"]], ids=["classify", "models list"])
def test_stdout_on_a_full_disk_is_one_line_and_exit_2(args):
    with open("/dev/full", "w") as full:
        result = claimlens(*args, stdout=full)
    assert _one_line_error(result) == "claimlens: error: stdout: cannot write (No space left on device)"


def _file_size_limit() -> None:
    # Writes past 2,000 bytes fail with EFBIG ("File too large") instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs RLIMIT_FSIZE")
def test_an_output_file_that_cannot_grow_is_one_line_and_exit_2(tmp_path):
    corpus, out = tmp_path / "corpus.jsonl", tmp_path / "out.jsonl"
    text = SEED.read_text(encoding="utf-8")
    corpus.write_text("".join(json.dumps({"id": f"d{i}", "text": text}) + "\n" for i in range(3)), encoding="utf-8")
    result = claimlens("classify", str(corpus), "-o", str(out), "--quiet", preexec_fn=_file_size_limit)
    assert _one_line_error(result) == f"claimlens: error: {out}: cannot write (File too large)"


class _ClosedPipe:
    def write(self, text: str) -> int:
        raise BrokenPipeError

    def flush(self) -> None:
        raise BrokenPipeError

    def isatty(self) -> bool:
        return False


def test_a_table_to_a_closed_pipe_raises_broken_pipe_for_the_cli_to_handle():
    from nlp.output import table_console

    with pytest.raises(BrokenPipeError):  # not rich's own SystemExit(1)
        table_console(_ClosedPipe()).print("a row")


@pytest.mark.slow
@pytest.mark.parametrize("args", [["models", "list"], ["models", "list", "--format", "json"]], ids=" ".join)
def test_a_reader_that_stops_early_is_a_quiet_exit_0(args):
    process = subprocess.Popen([sys.executable, "-m", "nlp", *args], cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # `| head -0`: gone before the first line
    assert process.wait(timeout=300) == 0
    assert process.stderr.read() == b""
    process.stderr.close()


# Long documents are classified in pieces: cut between sentences when one ends in reach, never inside a word.
@pytest.mark.parametrize("text, max_chars, pieces", [
    ("The army said it may rain. " * 4, 60, ["The army said it may rain. " * 2] * 2),
    ('He met U.S. Army officials. They said "Go." Then it rained.', 40,
     ["He met U.S. Army officials. ", 'They said "Go." Then it rained.']),  # not after the initial "S."
    ("Talks (it was said.) Went on. Later", 30, ["Talks (it was said.) ", "Went on. Later"]),
    ("Headline without a stop\nthe army said it may rain", 40, ["Headline without a stop\n", "the army said it may rain"]),
    ("the army said it may rain all week", 20, ["the army said it ", "may rain all week"]),
    ("北朝鮮が発射した。韓国軍が発表した。", 12, ["北朝鮮が発射した。", "韓国軍が発表した。"]),
    ("x" * 10, 4, ["xxxx", "xxxx", "xx"]),  # no white space at all: cut where it must
])
def test_long_documents_are_cut_between_sentences_never_inside_a_word(text, max_chars, pieces):
    from nlp.classify import split_text

    split = split_text(text, max_chars)
    assert [piece for _, piece in split] == pieces
    assert [offset for offset, _ in split] == [sum(map(len, pieces[:i])) for i in range(len(pieces))]


def test_a_long_one_line_article_keeps_its_sentences_whole(pipeline):
    from nlp.classify import classify_article
    from nlp.inputs import Article

    text = "The army said it may rain. " * 40
    records = classify_article(pipeline, Article("long", text, "long.txt"), max_chars=310)
    assert {record["text"] for record in records} == {"The army said it may rain."}
    assert len(records) == 40
    assert all(text[r["start"]:r["end"]] == r["text"] for r in records)


def _children(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        try:
            # pid (comm) state ppid ...: comm may hold spaces, so split after its closing bracket
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            children.append(int(entry.name))
    return children


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="worker death follows the parent on Linux")
def test_workers_die_with_a_main_process_killed_by_sigkill(tmp_path):
    corpus, out = tmp_path / "corpus.jsonl", tmp_path / "out.jsonl"
    with open(REPO / "training" / "data" / "docs.jsonl", encoding="utf-8") as docs, \
            open(corpus, "w", encoding="utf-8") as fh:
        for line in docs:
            doc = json.loads(line)
            fh.write(json.dumps({"id": doc["id"], "text": doc["text"]}) + "\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "nlp", "classify", str(corpus), "-o", str(out), "--workers", "2", "--batch-size", "1",
         "--quiet"], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    workers = []
    try:
        deadline = time.monotonic() + 120
        while len(workers) < 2 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.1)
            workers = _children(process.pid)
        assert len(workers) >= 2, "the workers did not start"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        deadline = time.monotonic() + 15
        while any(map(_alive, workers)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in workers if _alive(pid)], "workers outlived the main process"
    finally:
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.slow  # two real worker processes
def test_a_dead_worker_seen_when_handing_out_work_is_the_same_one_line_error():
    from nlp.classify import MAX_CHARS, model_identity
    from nlp.errors import ClaimlensError
    from nlp.inputs import Article
    from nlp.parallel import Classifier

    model_dir, _ = model_identity(None)
    batches = ([(Article(f"x{i}", "Officials said the talks collapsed.", "test"), i)] for i in range(1000))
    with pytest.raises(ClaimlensError, match="worker process died.*--resume"):
        with Classifier(model_dir, workers=2, fmt="jsonl", batch_size=1, max_chars=MAX_CHARS) as classifier:
            for n, _ in enumerate(classifier.map(batches)):
                if n == 2:
                    os.kill(next(iter(classifier._pool._processes)), signal.SIGKILL)
                    deadline = time.monotonic() + 30
                    while not classifier._pool._broken and time.monotonic() < deadline:
                        time.sleep(0.01)  # the pool knows before the next batch is handed out
