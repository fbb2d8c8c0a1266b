"""Writing outputs from a real process: a full disk or a file-size limit is one line and exit 2, not a traceback."""
from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
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
