"""Shared fixtures: small in-repo data only."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SEED_ID = "000_e5d1821d8056c6b7"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


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
