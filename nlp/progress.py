"""A progress bar on stderr for batch runs: documents/s, sentences/s, and an ETA once the total is known."""
from __future__ import annotations

import threading
import time

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from nlp.classify import RunSummary


class ProgressBar:
    """Counts documents done, including those skipped because a resumed output already held them.

    Rates count only documents classified in this run; the ETA divides what is left by them.
    """

    def __init__(self, console: Console):
        self.progress = Progress(
            TextColumn("[bold]classify"),
            BarColumn(),
            TextColumn("{task.fields[done]}"),
            TextColumn("{task.fields[rates]}"),
            TextColumn("{task.fields[eta]}"),
            console=console,
            transient=True,
        )
        self.task = self.progress.add_task("classify", total=None, done="", rates="", eta="")
        self.total: int | None = None
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._last: tuple[RunSummary, int] | None = None

    def __enter__(self) -> "ProgressBar":
        self.started = time.monotonic()  # rates from when the workers are ready, not from model loading
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def set_total(self, total: int | None) -> None:
        with self._lock:
            self.total = total
            self.progress.update(self.task, total=total)
            if self._last is not None:
                self._refresh(*self._last)

    def update(self, summary: RunSummary, skipped: int) -> None:
        with self._lock:
            self._last = (summary, skipped)
            self._refresh(summary, skipped)

    def _refresh(self, summary: RunSummary, skipped: int) -> None:
        new_docs = summary.documents - summary.resumed
        new_sentences = summary.sentences - summary.resumed_sentences
        elapsed = max(time.monotonic() - self.started, 1e-9)
        doc_rate, sentence_rate = new_docs / elapsed, new_sentences / elapsed
        done = new_docs + skipped
        eta = ""
        if self.total is not None and doc_rate > 0:
            left = max(self.total - done, 0) / doc_rate
            eta = f"ETA {int(left // 3600)}:{int(left % 3600 // 60):02d}:{int(left % 60):02d}"
        of = f"/{self.total}" if self.total is not None else ""
        self.progress.update(
            self.task, completed=done, done=f"{done}{of} docs",
            rates=f"{doc_rate:,.1f} docs/s · {sentence_rate:,.0f} sentences/s", eta=eta,
        )
