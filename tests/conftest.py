"""Shared fixtures: small in-repo data only."""
from __future__ import annotations

import importlib.util
import json
import signal
from pathlib import Path

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SEED_ID = "000_e5d1821d8056c6b7"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


def load_script(relative: str):
    """A script of the repo that is not in a package (``training/``, ``benchmarks/``), imported by path."""
    path = REPO / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def default_sigint() -> None:
    """In a child process about to exec claimlens: Ctrl-C as in a terminal. A suite started with SIGINT
    ignored (``cmd &``, ``nohup``) passes that on, and claimlens rightly leaves an ignored SIGINT alone."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def python_sigint():
    """Ctrl-C raising KeyboardInterrupt in this process, as Python sets it up in a terminal, for tests that
    signal themselves; restored afterwards."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return REPO / "seeds" / f"{SEED_ID}.txt"


@pytest.fixture(scope="session")
def seed_text(seed_path) -> str:
    return seed_path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_gold() -> list[dict]:
    with open(DATA / f"{SEED_ID}.labels.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


@pytest.fixture(scope="session")
def pipeline():
    """The full pipeline with the committed default model, loaded once."""
    from nlp.pipeline import load

    return load()


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory) -> Path:
    """A copy of part of the corpus (10 train, 3 dev, 3 test documents) so training tests take seconds."""
    from nlp.corpus import default_data_dir, read_docs, read_splits

    source = default_data_dir()
    docs = {doc.id: doc for doc in read_docs(source / "docs.jsonl")}
    splits = read_splits(source)

    def speculation(doc_id: str) -> int:
        return sum(s.get("label") == "speculation" for s in docs[doc_id].sentences)

    # The train part must hold every label: take the documents richest in the rarest one.
    chosen = {
        "train": sorted(sorted(splits["train"]), key=speculation, reverse=True)[:10],
        "dev": sorted(splits["dev"])[:3],
        "test": sorted(splits["test"])[:3],
    }
    out = tmp_path_factory.mktemp("small_corpus")
    with open(out / "docs.jsonl", "w", encoding="utf-8") as fh:
        for ids in chosen.values():
            for doc_id in ids:
                doc = docs[doc_id]
                fh.write(json.dumps({"id": doc.id, "text": doc.text, "sentences": doc.sentences, **doc.meta}) + "\n")
    (out / "splits.json").write_text(json.dumps(chosen), encoding="utf-8")
    return out


@pytest.fixture(scope="session")
def source_pipeline():
    """Segmenter + entity ruler + source extractor, no classifier (issue 4 tests), built once."""
    from nlp.pipeline import build

    return build(classifier=False)


@pytest.fixture(scope="session")
def small_models(small_corpus, tmp_path_factory) -> Path:
    """A models directory holding one model trained on ``small_corpus`` (the default). Copy it before adding to it."""
    from nlp.training import train

    root = tmp_path_factory.mktemp("small_models")
    train(data_dir=small_corpus, out_root=root)
    return root


@pytest.fixture(autouse=True)
def commands_never_crash(monkeypatch):
    """Every command run in a test ends in an exit code, never an uncaught exception.

    CliRunner turns a crash into exit code 1 with the traceback kept aside, which a test expecting exit 1 (some
    records failed) would take for success; the contract is one-line errors, never a traceback.
    """
    invoke = CliRunner.invoke

    def checked(self, *args, **kwargs):
        result = invoke(self, *args, **kwargs)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"the command crashed: {result.exception!r}") from result.exception
        return result

    monkeypatch.setattr(CliRunner, "invoke", checked)
