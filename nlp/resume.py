"""An output file that survives being killed at any moment, and resuming into it.

``-o FILE`` writes the records and, beside them, a ledger ``FILE.ledger``: a header line,
then one JSON line per finished document (its key, id, record and error counts, and the
byte offset where its records end in FILE). A document's records are written and flushed
first, its ledger line after, so the ledger never names a document whose records are not
all in FILE. A kill can leave FILE with a partial or unlisted document and the ledger
with a partial line; resuming drops both (FILE is truncated to the last listed offset) and
skips the documents the ledger lists, so the finished FILE is byte for byte what an
uninterrupted run writes. Sentence records carry no extra field for this.

A document's key is a 64-bit digest of its id, its input problem (if any) and the hash of
its content, so an edited article is classified again rather than skipped.
"""
from __future__ import annotations

import fcntl
import json
import os
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from nlp.digests import DigestCounter, digest64
from nlp.errors import OutputError, UsageError
from nlp.inputs import Article, InputProblem
from nlp.output import writing

LEDGER_SUFFIX = ".ledger"
LEDGER_VERSION = 1


def document_key(item: Article | InputProblem) -> int:
    problem = "" if isinstance(item, Article) else item.type
    return digest64(item.doc_id, problem, item.content_hash)


def ledger_path(path: Path) -> Path:
    return path.with_name(path.name + LEDGER_SUFFIX)


@dataclass
class Previous:
    """What an interrupted run had finished, read back from its ledger."""

    documents: int = 0
    sentences: int = 0
    errors: int = 0
    end: int = 0  # byte offset in FILE where its last finished document ends


def read_ledger(path: Path) -> tuple[dict | None, Previous, DigestCounter, int]:
    """One pass over a ledger: its header, what its complete entries add up to, their keys,
    and the byte length of its complete lines (a kill can cut the last one)."""
    header, previous, done, good = None, Previous(), DigestCounter(), 0
    with open(path, "rb") as fh:
        for raw in fh:
            if not raw.endswith(b"\n"):
                break
            try:
                entry = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                break
            if header is None:
                if not isinstance(entry, dict) or entry.get("claimlens_ledger") != LEDGER_VERSION:
                    break
                header = entry
                previous.end = entry["start"]
            else:
                done.add(int(entry["key"], 16))
                previous.documents += 1
                if entry.get("error"):
                    previous.errors += 1
                else:
                    previous.sentences += entry["records"]
                previous.end = entry["end"]
            good += len(raw)
    return header, previous, done, good


class ResumableOutput:
    """Records of finished documents in FILE, each followed by its line in FILE.ledger."""

    def __init__(self, path: Path, *, fmt: str, model: str, header: str = "", resume: bool = False):
        self.path = Path(path)
        self.ledger_path = ledger_path(self.path)
        self.previous = Previous()
        self.done: DigestCounter | None = None
        meta = {"claimlens_ledger": LEDGER_VERSION, "format": fmt, "model": model}
        self._header = header.encode("utf-8")
        created = not self.ledger_path.exists()
        try:
            self.ledger = open(self.ledger_path, "ab+")
        except OSError as exc:
            # The ledger is the first file made: name the output the user asked for (a missing folder, say).
            raise OutputError(f"{self.path}: cannot write ({exc.strerror}; ledger {self.ledger_path.name})") from None
        try:
            fcntl.flock(self.ledger, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.ledger.close()
            raise UsageError(f"{self.path}: another claimlens run is writing it") from None
        try:
            if resume and self._resume(meta):
                return
            self._start(meta)
        except BaseException:
            self.ledger.close()
            if created:
                self.ledger_path.unlink(missing_ok=True)
            raise

    def _start(self, meta: dict) -> None:
        # The ledger header goes first: a FILE without a complete ledger header was not begun by us.
        self.ledger.truncate(0)
        self._ledger_write({**meta, "start": len(self._header)})
        with writing(self.path):
            self.out = open(self.path, "wb")
            self.out.write(self._header)
            self.out.flush()
        self.offset = len(self._header)
        self.previous = Previous(end=self.offset)
        self.done = DigestCounter()

    def _resume(self, meta: dict) -> bool:
        header, previous, done, good = read_ledger(self.ledger_path)
        if header is None:
            if self.path.exists() and self.path.stat().st_size and self.ledger_path.stat().st_size == 0:
                raise UsageError(
                    f"{self.path}: cannot resume: it has no ledger {self.ledger_path.name} "
                    "(not written by `claimlens classify -o`); remove it or run without --resume"
                )
            return False  # killed before anything was written: start afresh
        for field in ("format", "model"):
            if header.get(field) != meta[field]:
                raise UsageError(
                    f"{self.path}: cannot resume: it was written with {field} {header.get(field)!r}, "
                    f"this run uses {meta[field]!r}"
                )
        size = self.path.stat().st_size if self.path.exists() else -1
        if not previous.documents and size < previous.end:
            return False  # killed before FILE's header was written: start afresh
        if size < previous.end:
            raise UsageError(f"{self.path}: cannot resume: the file is shorter than its ledger says (changed since?)")
        self.ledger.truncate(good)
        self.out = open(self.path, "r+b")
        self.out.truncate(previous.end)
        self.out.seek(previous.end)
        self.offset = previous.end
        self.done = done
        self.previous = previous
        return True

    def _ledger_write(self, entry: dict) -> None:
        with writing(self.ledger_path):
            self.ledger.write(json.dumps(entry, ensure_ascii=False).encode("utf-8") + b"\n")
            self.ledger.flush()

    def write(self, key: int, doc_id: str, payload: str, sentences: int, error: str | None) -> None:
        data = payload.encode("utf-8")
        with writing(self.path):
            self.out.write(data)
            self.out.flush()
        self.offset += len(data)
        self._ledger_write({
            "key": f"{key:016x}", "doc_id": doc_id, "records": 1 if error else sentences,
            "error": error, "end": self.offset,
        })

    def flush(self) -> None:
        pass  # every document is flushed as it is written

    def __enter__(self) -> "ResumableOutput":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        files = [fh for fh in (getattr(self, "out", None), self.ledger) if fh is not None and not fh.closed]
        # Both files are closed even when the disk is full; the failure is reported after.
        with writing(self.path), ExitStack() as closing:
            for fh in files:
                closing.callback(fh.close)
            for fh in files:
                fh.flush()
                os.fsync(fh.fileno())
