"""The labelling loop behind ``claimlens label``: suggestions in, one answer per key press, appended to a file.

Keys: 1 reported_fact, 2 attribution, 3 speculation, 0 not a claim, s skip, u undo, q quit.

Every answer is appended to the labels file (claimlens JSONL, what ``train --add`` reads) and
flushed to disk before the next sentence is shown, so Ctrl-C or a crash loses nothing. A
labels file that already has answers resumes where it stopped; ``u`` takes back the last line
of the file, also one written in an earlier session. A half-written last line (the process
was killed mid-write) is dropped when the file is opened, and reported.

``Session`` holds the logic and does no terminal I/O; ``run`` drives it with any key reader
and view, so tests need no terminal.
"""
from __future__ import annotations

import codecs
import hashlib
import json
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Protocol

from nlp import LABELS
from nlp.corpus import NONE_LABEL, not_a_file
from nlp.errors import InputError, OutputError
from nlp.inputs import parse_json_line, record_surrogate
from nlp.output import check_writable, writing

KEYMAP = {"1": "reported_fact", "2": "attribution", "3": "speculation", "0": NONE_LABEL}
SKIP, UNDO, QUIT = "s", "u", "q"
_END = {"", "\x04"}  # end of input (a closed stdin, Ctrl-D) quits like q
SHORT = {"reported_fact": "fact", "attribution": "attribution", "speculation": "speculation", NONE_LABEL: "not a claim"}
# Copied into each answer so the labels file stands on its own (import needs no suggestions file).
CARRIED = ("doc_id", "index", "start", "end", "context_before", "context_after", "model_label")


def item_id(item: dict) -> str:
    if item.get("id") is not None:
        return str(item["id"])
    digest = hashlib.sha256(f"{item.get('doc_id')}\n{item['text']}".encode()).hexdigest()
    return digest[:16]


def read_suggestions(path: Path) -> list[dict]:
    if not path.is_file():
        raise InputError(not_a_file(path))
    items, seen = [], set()
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            item, why = parse_json_line(line)
            if why is not None:
                raise InputError(f"{path}:{lineno}: not JSON ({why})")
            if not isinstance(item, dict) or not isinstance(item.get("text"), str) or not item["text"].strip():
                raise InputError(f"{path}:{lineno}: a suggestion needs a non-empty \"text\"")
            # Its strings are shown and copied into the answers, which are written as UTF-8.
            if why := record_surrogate(item):
                raise InputError(f"{path}:{lineno}: {why}")
            key = item_id(item)
            if key not in seen:  # the same suggestion twice is asked once
                seen.add(key)
                items.append(item)
    return items


class LabelsFile:
    """Append-only JSONL of answers, with the byte offset of each line so undo can truncate it."""

    def __init__(self, path: Path):
        self.path = path
        self.entries: list[tuple[str, int]] = []  # (item id, offset of the line)
        self.repaired: str | None = None
        if path.parent.is_dir():  # a missing folder is made at the first answer
            check_writable(path)  # before the first question, not after the first answer
        if path.exists() and not path.is_file():  # a device such as /dev/full would be read back for ever
            raise OutputError(f"{path}: cannot write (not a regular file; answers are read back to resume)")
        if path.exists():
            self._load()

    def _load(self) -> None:
        data = self.path.read_bytes()
        offset = 0
        for raw in data.splitlines(keepends=True):
            try:
                record = json.loads(raw)
                complete = raw.endswith(b"\n")
            except (ValueError, RecursionError):  # not JSON, not UTF-8, or JSON Python cannot read
                record, complete = None, False
            if record is None or not complete:
                if offset + len(raw) == len(data):
                    # Only a killed write leaves a broken *last* line: drop it, keep the rest.
                    with open(self.path, "r+b") as fh:
                        fh.truncate(offset)
                    self.repaired = f"dropped an incomplete last line at byte {offset}"
                    break
                raise InputError(f"{self.path}: line {len(self.entries) + 1} is not a JSON answer; fix or move the file")
            self.entries.append((str(record.get("id")), offset))
            offset += len(raw)

    @property
    def answered(self) -> set[str]:
        return {key for key, _ in self.entries}

    def append(self, record: dict) -> None:
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        with writing(self.path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "ab") as fh:
                offset = fh.tell()
                fh.write(line)
                fh.flush()
                os.fsync(fh.fileno())
        self.entries.append((record["id"], offset))

    def pop(self) -> dict | None:
        if not self.entries:
            return None
        key, offset = self.entries.pop()
        with writing(self.path), open(self.path, "r+b") as fh:
            fh.seek(offset)
            record = json.loads(fh.read())
            fh.truncate(offset)
            fh.flush()
            os.fsync(fh.fileno())
        return record


@dataclass(frozen=True)
class Event:
    kind: str  # labelled, skipped, undone, nothing_to_undo, quit, invalid
    item: dict | None = None
    label: str | None = None
    key: str = ""


class Session:
    def __init__(self, suggestions: list[dict], labels: LabelsFile, *, annotator: str = "annotator"):
        self.items = suggestions
        self.labels = labels
        self.annotator = annotator
        self._ids = [item_id(item) for item in suggestions]

    @property
    def done(self) -> int:
        answered = self.labels.answered
        return sum(1 for key in self._ids if key in answered)

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def current(self) -> dict | None:
        """The first suggestion, in file order, without an answer."""
        answered = self.labels.answered
        return next((item for item, key in zip(self.items, self._ids) if key not in answered), None)

    def _answer(self, item: dict, label: str | None) -> dict:
        record = {"id": item_id(item), "text": item["text"], "label": label,
                  "answer": "accept" if label else "ignore"}
        record.update({k: item[k] for k in CARRIED if k in item})
        record["labelled_by"] = self.annotator
        record["labelled_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        return record

    def press(self, key: str) -> Event:
        key = key.lower()
        if key == QUIT or key in _END:
            return Event("quit", key=key)
        if key == UNDO:
            record = self.labels.pop()
            return Event("undone", record, record.get("label"), key) if record else Event("nothing_to_undo", key=key)
        item = self.current
        if item is None:
            return Event("quit", key=key)
        if key in KEYMAP:
            self.labels.append(self._answer(item, KEYMAP[key]))
            return Event("labelled", item, KEYMAP[key], key)
        if key == SKIP:
            self.labels.append(self._answer(item, None))
            return Event("skipped", item, None, key)
        return Event("invalid", item, key=key)


class View(Protocol):
    def show(self, item: dict, position: int, total: int) -> None: ...
    def event(self, event: Event) -> None: ...
    def finish(self, session: Session, finished: bool) -> None: ...


def run(session: Session, read_key: Callable[[], str], view: View) -> bool:
    """Show, read a key, act, until every suggestion is answered (True) or the user quits (False).

    Ctrl-C (KeyboardInterrupt) propagates after the view's ``finish``: answers are already on disk.
    """
    shown = None
    try:
        while True:
            item = session.current
            if item is None:
                view.finish(session, True)
                return True
            if item is not shown:
                view.show(item, session.done + 1, session.total)
                shown = item
            event = session.press(read_key())
            if event.kind == "quit":
                view.finish(session, False)
                return False
            view.event(event)
            if event.kind in ("undone", "labelled", "skipped"):
                shown = None
    except KeyboardInterrupt:
        view.finish(session, False)
        raise


class TerminalView:
    """Rich rendering of the loop for a real terminal."""

    def __init__(self, console, labels_path: Path):
        self.console = console
        self.labels_path = labels_path

    def show(self, item: dict, position: int, total: int) -> None:
        from rich.markup import escape

        c = self.console
        c.rule(f"{position}/{total}  {escape(str(item.get('doc_id', '')))}")
        for text in item.get("context_before") or []:
            c.print(f"[dim]{escape(text)}[/dim]")
        c.print(f"[bold]» {escape(item['text'])}[/bold]")
        for text in item.get("context_after") or []:
            c.print(f"[dim]{escape(text)}[/dim]")
        probs = item.get("probs") or {}
        guess = item.get("model_label")
        if guess:
            detail = "  ".join(f"{SHORT.get(k, k)} {v:.2f}" for k, v in probs.items() if k in LABELS)
            c.print(f"model: [cyan]{SHORT.get(guess, guess)}[/cyan]   {detail}")
        c.print(escape("[1] fact  [2] attribution  [3] speculation  [0] not a claim  [s] skip  [u] undo  [q] quit"))

    def event(self, event: Event) -> None:
        if event.kind == "labelled":
            self.console.print(f"→ {SHORT[event.label]}")
        elif event.kind == "skipped":
            self.console.print("→ skipped")
        elif event.kind == "undone":
            what = SHORT.get(event.label, "skip") if event.label else "skip"
            self.console.print(f"↶ undid {what}: {event.item['text'][:70]}")
        elif event.kind == "nothing_to_undo":
            self.console.print("nothing to undo")
        elif event.kind == "invalid" and event.key not in ("\r", "\n", " "):
            self.console.print(f"unknown key {event.key!r}: 1/2/3/0, s, u or q")

    def finish(self, session: Session, finished: bool) -> None:
        state = "all suggestions answered" if finished else "stopped"
        saved = f"saved in {self.labels_path}" if self.labels_path.exists() else "nothing saved"
        self.console.print(
            f"{state}: {session.done}/{session.total} answered, {saved}"
            + ("" if finished else " (run the same command to resume)")
        )
        if session.done:
            self.console.print(f"next: claimlens train --add {self.labels_path}")


@contextmanager
def terminal_keys() -> Iterator[Callable[[], str]]:
    """A reader of single key presses from stdin.

    On a terminal, cbreak mode is held for the whole loop: switching to raw mode per key
    press (as ``click.getchar`` does) flushes keys typed ahead while a sentence is drawn, so
    fast typists lost answers. Cbreak keeps Ctrl-C as an interrupt. Not a terminal (tests,
    pipes): one character at a time from stdin, "" at the end.
    """
    stream = sys.stdin
    if stream is None:  # started with stdin closed (`<&-`)
        raise InputError("label reads key presses from stdin, which is closed")
    try:
        import termios
        import tty
    except ImportError:  # Windows
        import typer

        yield lambda: typer.getchar()
        return
    if not stream.isatty():
        yield lambda: stream.read(1)
        return
    fd = stream.fileno()
    saved = termios.tcgetattr(fd)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def read_key() -> str:
        while True:
            data = os.read(fd, 1)
            if not data:
                return ""
            key = decoder.decode(data)
            if key:
                return key

    try:
        tty.setcbreak(fd, termios.TCSANOW)
        yield read_key
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def default_labels_path(suggestions: Path) -> Path:
    name = suggestions.name.removesuffix(".jsonl")
    return suggestions.with_name(f"{name}.labels.jsonl")
