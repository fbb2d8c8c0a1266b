"""Classifying articles: a stream of inputs in, a stream of records out, nothing lost."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from itertools import islice
from typing import Iterable, Iterator

from spacy.language import Language

from nlp.inputs import Article, InputProblem
from nlp.records import doc_records


@dataclass
class RunSummary:
    documents: int = 0
    sentences: int = 0
    errors: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def as_dict(self) -> dict:
        return {
            "documents": self.documents,
            "sentences": self.sentences,
            "errors": self.errors,
            "elapsed_seconds": round(self.elapsed, 3),
        }


def classify_article(pipeline: Language, article: Article) -> list[dict]:
    return doc_records(article.doc_id, pipeline(article.text))


def classify_stream(
    items: Iterable[Article | InputProblem],
    pipeline: Language,
    *,
    batch_size: int = 32,
    summary: RunSummary | None = None,
) -> Iterator[list[dict]]:
    """Yield, per input item and in input order, its sentence records or its one error record."""
    summary = summary if summary is not None else RunSummary()
    items = iter(items)
    while batch := list(islice(items, batch_size)):
        articles = [item for item in batch if isinstance(item, Article)]
        results = iter(_classify_batch(pipeline, articles, batch_size))
        for item in batch:
            summary.documents += 1
            records = item.as_record() if isinstance(item, InputProblem) else next(results)
            if isinstance(records, dict):
                summary.errors += 1
                yield [records]
            else:
                summary.sentences += len(records)
                yield records


def _classify_batch(pipeline: Language, articles: list[Article], batch_size: int) -> list[list[dict] | dict]:
    try:
        docs = pipeline.pipe((a.text for a in articles), batch_size=batch_size)
        return [doc_records(a.doc_id, doc) for a, doc in zip(articles, docs)]
    except Exception:
        # One bad document must not take its batch down: redo them one by one.
        return [_classify_one(pipeline, a) for a in articles]


def _classify_one(pipeline: Language, article: Article) -> list[dict] | dict:
    try:
        return classify_article(pipeline, article)
    except Exception as exc:  # a bug, reported as data so the run goes on
        return InputProblem(
            article.doc_id, "processing_error", f"{type(exc).__name__}: {exc}", article.origin
        ).as_record()
