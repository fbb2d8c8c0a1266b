"""Classifying batches of articles on worker processes: input order kept, work in flight bounded.

Each worker loads the pipeline once (in the pool's initializer) and returns, per article, its
records already rendered for the output format, so the main process only reads, writes and
keeps the books. At most ``2 × workers`` batches are in flight: the input is read only as fast
as it is classified, and memory does not grow with the input. With one worker everything
runs in-process.

With ``fork`` (used where available) the pipeline is loaded once in the main process and the
workers inherit it: they start at once and share its memory pages (the entity patterns are
large) until they write to them. With ``spawn`` each worker loads it in the initializer.
Either way a worker loads the model at most once.
"""
from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator, NamedTuple

from nlp.errors import ClaimlensError
from nlp.inputs import Article, InputProblem


class Outcome(NamedTuple):
    sentences: int  # sentence records (0 for an error)
    error: str | None  # the error record's type, when the document failed
    payload: object  # the rendered records (str), or the records for a table


@lru_cache(maxsize=1)
def _pipeline(model_dir: str):
    # Kept for the next run in the same process (a library caller, the tests): loading takes seconds.
    from nlp.pipeline import load

    return load(model_dir)


class _Worker:
    """What a worker process holds: the loaded pipeline and how to render records."""

    def __init__(self, model_dir: str, fmt: str, batch_size: int, max_chars: int):
        from nlp.output import renderer

        self.pipeline = _pipeline(model_dir)
        self.render = renderer(fmt)
        self.batch_size = batch_size
        self.max_chars = max_chars

    def classify(self, articles: list[Article]) -> list[Outcome]:
        from nlp.classify import classify_articles

        results = classify_articles(self.pipeline, articles, batch_size=self.batch_size, max_chars=self.max_chars)
        outcomes = []
        for result in results:
            if isinstance(result, dict):
                outcomes.append(Outcome(0, result["error"]["type"], self.render([result])))
            else:
                outcomes.append(Outcome(len(result), None, self.render(result)))
        return outcomes


_WORKER: _Worker | None = None
_WORKER_ERROR: BaseException | None = None
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _exit_with(parent: int) -> None:
    """Have the kernel kill this worker when the main process dies, even by SIGKILL: nothing else would
    tell it, and it would wait for work forever holding its memory. Linux only; elsewhere a no-op."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
            return
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it died before prctl took effect: no signal will come
        os._exit(1)


def _init_worker(parent: int, model_dir: str, fmt: str, batch_size: int, max_chars: int) -> None:
    global _WORKER, _WORKER_ERROR
    _exit_with(parent)
    # Ctrl-C reaches the whole process group: the main process alone decides what happens.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if _WORKER is not None:  # inherited through fork
        return
    try:
        _WORKER = _Worker(model_dir, fmt, batch_size, max_chars)
    except BaseException as exc:  # raised from the first task: a failing initializer breaks the pool silently
        _WORKER_ERROR = exc


def _ready() -> bool:
    return _WORKER is not None or _WORKER_ERROR is not None


def _classify_in_worker(articles: list[Article]) -> list[Outcome]:
    if _WORKER_ERROR is not None:
        raise _WORKER_ERROR
    return _WORKER.classify(articles)


def _start_method() -> str:
    return "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


class Classifier:
    """``map`` batches of ``(item, key)`` to per-item ``Outcome`` lists, in order."""

    def __init__(self, model_dir: str | Path, *, workers: int, fmt: str, batch_size: int, max_chars: int,
                 start_method: str | None = None):
        from nlp.output import renderer

        self.args = (str(model_dir), fmt, batch_size, max_chars)
        self.workers = workers
        self.render = renderer(fmt)
        self.start_method = start_method or _start_method()
        self.window = 2 * workers
        self._local: _Worker | None = None
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> "Classifier":
        global _WORKER
        if self.workers == 1:
            self._local = _Worker(*self.args)
            return self
        if self.start_method == "fork":
            _WORKER = _Worker(*self.args)
        self._pool = ProcessPoolExecutor(
            self.workers, mp_context=multiprocessing.get_context(self.start_method),
            initializer=_init_worker, initargs=(os.getpid(), *self.args),
        )
        # A forking pool starts all its workers at the first task: do it now, before the caller
        # starts threads (a progress bar) that a fork would copy in an unknown state.
        self._pool.submit(_ready).result()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        global _WORKER
        _WORKER = None
        if self._pool is None:
            return
        if exc_type is None:
            self._pool.shutdown(wait=True)
            return
        # Interrupted or failed: do not wait for batches nobody will write.
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=5)

    def _merge(self, batch: list, outcomes: Iterable[Outcome]) -> list[Outcome]:
        outcomes = iter(outcomes)
        merged = []
        for item, _ in batch:
            if isinstance(item, InputProblem):
                merged.append(Outcome(0, item.type, self.render([item.as_record()])))
            else:
                merged.append(next(outcomes))
        return merged

    def map(self, batches: Iterable[list]) -> Iterator[tuple[list, list[Outcome]]]:
        if self._local is not None:
            for batch in batches:
                articles = [item for item, _ in batch if isinstance(item, Article)]
                yield batch, self._merge(batch, self._local.classify(articles) if articles else [])
            return
        pending: deque = deque()
        batches = iter(batches)
        exhausted = False
        while True:
            while not exhausted and len(pending) < self.window:
                batch = next(batches, None)
                if batch is None:
                    exhausted = True
                    break
                articles = [item for item, _ in batch if isinstance(item, Article)]
                try:
                    # A pool that has seen a worker die refuses new work as well.
                    future = self._pool.submit(_classify_in_worker, articles) if articles else None
                except BrokenProcessPool:
                    raise _worker_died() from None
                pending.append((batch, future))
            if not pending:
                return
            batch, future = pending.popleft()
            try:
                outcomes = future.result() if future is not None else []
            except BrokenProcessPool:
                raise _worker_died() from None
            yield batch, self._merge(batch, outcomes)


def _worker_died() -> ClaimlensError:
    return ClaimlensError("a worker process died (out of memory?); records written so far are complete: "
                          "rerun with --resume -o FILE to continue")
