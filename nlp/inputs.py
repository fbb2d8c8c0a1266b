"""Reading articles to classify: ``.txt`` files, directories, ``.jsonl`` (optionally gzipped), stdin.

Inputs are read lazily, one document at a time. A problem with one document (bad bytes,
empty text, a malformed JSON line, an id used twice) becomes an ``InputProblem`` in the
stream — never an exception that stops the run — so every input record shows up in the
output. Problems with an input as a whole (missing path, a directory with no articles) are
found before anything runs, by ``check_inputs``, and raised as ``InputError``.

A ``.txt`` file inside a directory is identified by its path relative to that directory,
without ``.txt`` (``2024-05-01/markets``), so same-named files in different folders stay
distinct. Each document carries a ``content_hash`` of its text (of its raw bytes when it
cannot be read as text), which resuming uses to recognise work already done.
"""
from __future__ import annotations

import codecs
import gzip
import io
import json
import os
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator, TypeVar

from nlp.digests import DigestCounter, content_hash, digest64
from nlp.errors import InputError, UsageError

STDIN = "-"
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson")
# What reading a file can raise: OSError (cannot open, not gzip), EOFError (a truncated gzip stream),
# zlib.error (a gzip stream corrupt inside).
UNREADABLE = (OSError, EOFError, zlib.error)
T = TypeVar("T")


@dataclass(frozen=True)
class Article:
    doc_id: str
    text: str
    origin: str  # file (and line) it came from
    content_hash: str = ""


@dataclass(frozen=True)
class InputProblem:
    doc_id: str
    type: str  # short stable code: undecodable, empty, not_json, missing_text, duplicate_id, ...
    message: str
    origin: str
    content_hash: str = ""

    def as_record(self) -> dict:
        return {"doc_id": self.doc_id, "error": {"type": self.type, "message": self.message}, "origin": self.origin}


# Suffixes are matched whatever their case: REPORT.TXT is an article too.
def is_jsonl(path: Path) -> bool:
    return path.name.lower().endswith(JSONL_SUFFIXES)


def _is_txt(path: Path) -> bool:
    return path.name.lower().endswith(".txt")


def _has_txt(directory: Path) -> bool:
    return next(_walk_txt(directory), None) is not None


def check_inputs(inputs: list[str]) -> None:
    """Raise InputError for inputs that cannot be read at all, before any work starts."""
    if not inputs:
        raise InputError("no input given (pass files, directories, or - for stdin)")
    if inputs.count(STDIN) > 1:
        raise InputError("- (stdin) is given more than once; it can be read only once")
    for name in inputs:
        if name == STDIN:
            if sys.stdin is None:  # started with stdin closed (`<&-`), as some daemons do
                raise InputError("-: stdin is closed")
            continue
        path = Path(name)
        if not path.exists():
            if path.is_symlink():
                raise InputError(f"{name}: a symbolic link to nothing (its target is missing, or links loop)")
            raise InputError(f"{name}: no such file or directory")
        if path.is_dir() and not _has_txt(path):
            raise InputError(f"{name}: directory contains no .txt articles")
        if path.is_file() and not (_is_txt(path) or is_jsonl(path)):
            raise InputError(f"{name}: unsupported input type "
                             "(expected .txt, .jsonl, .jsonl.gz, .ndjson or a directory)")


def check_output(output: str | Path | None, inputs: list[str]) -> None:
    """Raise UsageError when writing ``output`` would destroy an input or be read back as one.

    An output file is opened (emptied) before all the inputs are read, and a ``.txt`` written
    inside an input directory would be read as an article. Files are compared by (device, inode):
    a hard link, a symbolic link or a linked folder can make one file go by several names.
    """
    if output is None or str(output) == STDIN:
        return
    out = Path(output)
    out_id = _file_id(out)
    for name in inputs:
        path = Path(name)
        if name == STDIN:
            if out_id is not None and out_id == _stdin_id():  # -o /dev/stdin, or the file stdin is redirected from
                raise UsageError(f"{output}: the output is one of the inputs; writing it would destroy stdin")
            continue
        if not path.exists():
            continue
        if path.is_dir():
            destroyed, read_back = _walk_reaches(path, out_id, out.parent if _is_txt(out) else None)
            if destroyed is not None:
                raise UsageError(f"{output}: the output is one of the inputs; writing it would destroy "
                                 f"{printable_path(destroyed)}")
            if _is_txt(out) and (out.resolve().is_relative_to(path.resolve()) or read_back):
                raise UsageError(f"{output}: the output is inside input directory {name}, where it would be read "
                                 "as an article; write it elsewhere")
        elif out_id is not None and out_id == _file_id(path):
            raise UsageError(f"{output}: the output is one of the inputs; writing it would destroy {name}")


def _file_id(path: Path) -> tuple[int, int] | None:
    """The (device, inode) of the file ``path`` leads to, or None when there is none (yet)."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _stdin_id() -> tuple[int, int] | None:
    """The (device, inode) of what stdin reads (a file, a pipe), or None when it is closed or no file."""
    try:
        info = os.fstat(sys.stdin.fileno())
    except (AttributeError, OSError, ValueError):  # closed (None), or replaced by a stream without a descriptor
        return None
    return info.st_dev, info.st_ino


@dataclass(frozen=True)
class Source:
    """One readable unit of input: a ``.txt`` article, a JSONL file, or stdin."""

    # "unreadable": a directory below an input that cannot be listed, or a .txt link that cannot be followed
    kind: str  # "txt" | "jsonl" | "stdin" | "unreadable"
    path: str
    doc_id: str = ""  # for "txt": the article's id; for "unreadable": its id, or the directory's ending in "/"
    problem: str = ""  # for "unreadable": the error message


def printable_path(path: str | Path) -> str:
    """``path`` as text any output can hold: bytes of a file name that are not UTF-8 are shown as ``\\xNN``.

    Python hands such bytes over as lone surrogates, which writing as UTF-8 refuses.
    """
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _walk_reaches(root: Path, file_id: tuple[int, int] | None, folder: Path | None) -> tuple[str | None, bool]:
    """What reading ``root`` reaches, maybe through links the paths do not show, in one walk: the article
    that is the file ``file_id`` (its path, or None), and whether ``folder`` is one of the folders read."""
    folder_id = _file_id(folder) if folder is not None else None
    if file_id is None and folder_id is None:
        return None, False  # nothing there yet: nothing to destroy, and no folder it would be read back from
    visited: set[tuple[int, int]] = set()
    for source in _walk_txt(root, visited):
        if source.kind == "txt" and file_id is not None and _file_id(Path(source.path)) == file_id:
            return source.path, False
        if file_id is None and folder_id in visited:
            return None, True
    return None, folder_id in visited


def _walk_txt(root: Path, seen: set[tuple[int, int]] | None = None) -> Iterator[Source]:
    """The ``.txt`` articles below ``root``, and an ``unreadable`` source for each folder that cannot be listed
    and each ``.txt`` link that cannot be followed (its target is missing, or links loop).

    Linked folders are followed, but every folder is read once: a link back up the tree is no loop.
    Sorted per folder, not globally: memory stays bounded by the largest folder. ``seen`` collects
    the (device, inode) of each folder read.
    """
    seen = set() if seen is None else seen

    def walk(directory: Path) -> Iterator[Source]:
        try:
            info = directory.stat()
            if (info.st_dev, info.st_ino) in seen:
                return
            seen.add((info.st_dev, info.st_ino))
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            if directory == root:
                raise InputError(f"{printable_path(root)}: cannot read directory ({exc.strerror})") from None
            relative = printable_path(directory.relative_to(root).as_posix())
            yield Source("unreadable", str(directory), relative + "/", f"cannot read directory ({exc.strerror})")
            return
        for entry in entries:
            path = Path(entry.path)
            try:  # both follow a link: a link to nothing is neither, a link that loops raises
                is_dir, is_file, why = entry.is_dir(), entry.is_file(), "a symbolic link to nothing"
            except OSError as exc:
                is_dir, is_file, why = False, False, exc.strerror
            if is_dir:
                yield from walk(path)
                continue
            if not _is_txt(path):
                continue
            doc_id = printable_path(path.relative_to(root).with_suffix("").as_posix())
            if is_file:
                yield Source("txt", str(path), doc_id)
            elif entry.is_symlink():
                yield Source("unreadable", str(path), doc_id, f"cannot read file ({why})")

    return walk(root)


def sources(inputs: list[str]) -> Iterator[Source]:
    """The inputs as a lazy sequence of sources, in the order documents will be read."""
    check_inputs(inputs)
    for name in inputs:
        if name == STDIN:
            yield Source("stdin", STDIN)
            continue
        path = Path(name)
        if path.is_dir():
            yield from _walk_txt(path)
        elif is_jsonl(path):
            yield Source("jsonl", str(path))
        else:
            yield Source("txt", str(path), printable_path(path.stem))


def read_source(source: Source, stdin: BinaryIO | None = None) -> Iterator[Article | InputProblem]:
    if source.kind == "stdin":
        yield from _read_stdin(stdin if stdin is not None else sys.stdin.buffer)
    elif source.kind == "jsonl":
        yield from _read_jsonl_file(Path(source.path))
    elif source.kind == "unreadable":
        yield InputProblem(source.doc_id, "unreadable", source.problem, printable_path(source.path))
    else:
        yield _read_txt(Path(source.path), source.doc_id)


def iter_inputs(inputs: list[str], stdin: BinaryIO | None = None) -> Iterator[Article | InputProblem]:
    for source in sources(inputs):
        yield from read_source(source, stdin)


def count_documents(inputs: list[str]) -> int | None:
    """How many documents the inputs hold (one per non-blank JSONL line), or None for stdin.

    Reads JSONL files once more, so it is for a progress bar's total, off the main path.
    """
    total = 0
    for source in sources(inputs):
        if source.kind == "stdin":
            return None
        if source.kind != "jsonl":
            total += 1
            continue
        try:
            with open_jsonl(Path(source.path)) as fh:
                total += sum(1 for line in fh if not is_blank_line(line))
        except UNREADABLE:
            total += 1
    return total


def duplicate_message(doc_id: str, *, fate: str = "this one is not classified") -> str:
    return f"id {doc_id!r} is already used by an earlier document; {fate}"


def duplicate_problem(article: Article) -> InputProblem:
    return InputProblem(article.doc_id, "duplicate_id", duplicate_message(article.doc_id),
                        article.origin, article.content_hash)


def flag_duplicates(items: Iterable[Article | InputProblem], seen: DigestCounter | None = None,
                    ) -> Iterator[Article | InputProblem]:
    """Turn an article whose id an earlier document already used into a ``duplicate_id`` problem.

    The first document with an id keeps it, whatever it is; later articles with that id are
    not classified, so every sentence record's ``doc_id`` names one document. Pass the same
    ``seen`` to several calls whose documents go to one output.
    """
    seen = DigestCounter() if seen is None else seen
    for item in items:
        if seen.add(digest64(item.doc_id)) and isinstance(item, Article):
            yield duplicate_problem(item)
        else:
            yield item


def _not_utf8(exc: UnicodeDecodeError, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "not valid UTF-8: it looks like UTF-16 (it starts with a UTF-16 byte-order mark); convert it to UTF-8"
    return f"not valid UTF-8 at byte {exc.start}"


def _decode(data: bytes, doc_id: str, origin: str) -> Article | InputProblem:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return InputProblem(doc_id, "undecodable", _not_utf8(exc, data), origin, content_hash(data))
    return _article(doc_id, text, origin)


def _article(doc_id: str, text: str, origin: str) -> Article | InputProblem:
    if text.startswith("\ufeff"):
        # A byte-order mark is not text, but it keeps its place (as a space): offsets index the text as decoded.
        text = " " + text[1:]
    if not text.strip():
        return InputProblem(doc_id, "empty", "the article has no text", origin, content_hash(text))
    return Article(doc_id, text, origin, content_hash(text))


def _read_txt(path: Path, doc_id: str | None = None) -> Article | InputProblem:
    doc_id = doc_id or printable_path(path.stem)
    origin = printable_path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return InputProblem(doc_id, "unreadable", f"cannot read file ({exc.strerror})", origin)
    return _decode(data, doc_id, origin)


def open_jsonl(path: Path) -> BinaryIO:
    """``path`` opened for reading bytes, decompressed when its name ends in ``.gz`` (any case)."""
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")


def unreadable_reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc)


def cannot_read_message(exc: BaseException, lines_read: int) -> str:
    """Why a file could not be read (to its end, when ``lines_read`` lines came out of it first)."""
    where = f" after line {lines_read}" if lines_read else ""
    return f"cannot read the file{where} ({unreadable_reason(exc)})"


def read_to_the_end(open_file: Callable[[], BinaryIO], parse: Callable[[Iterator[bytes]], Iterator[T]],
                    unreadable: Callable[[str], T]) -> Iterator[T]:
    """What ``parse`` makes of the lines of the file ``open_file`` opens; if the file cannot be read to its end (a
    truncated or corrupt ``.gz``, an I/O error), what came out before it and then ``unreadable(why)``."""
    lines_read = 0

    def lines(fh: BinaryIO) -> Iterator[bytes]:
        nonlocal lines_read
        for line in fh:
            lines_read += 1
            yield line

    try:
        with open_file() as fh:
            yield from parse(lines(fh))
    except UNREADABLE as exc:
        yield unreadable(cannot_read_message(exc, lines_read))


def _read_jsonl_file(path: Path) -> Iterator[Article | InputProblem]:
    name, origin = printable_path(path.name), printable_path(path)
    yield from read_to_the_end(lambda: open_jsonl(path), lambda lines: _read_jsonl_lines(lines, name, origin),
                               lambda why: InputProblem(f"{name}:?", "unreadable", why, origin))


def is_blank_line(raw: bytes) -> bool:
    """Whether a JSONL line holds nothing: blank space, maybe after the byte-order mark a file starts with."""
    return not raw.removeprefix(codecs.BOM_UTF8).strip()


def parse_json_line(line: str | bytes) -> tuple[object, str | None]:
    """``(value, None)``, or ``(None, why)`` when ``line`` is not JSON Python can read.

    Besides malformed JSON, ``json.loads`` refuses an integer of more than 4,300 digits
    (ValueError) and nesting deeper than the recursion limit (RecursionError).
    """
    try:
        return json.loads(line), None
    except json.JSONDecodeError as exc:
        return None, exc.msg
    except RecursionError:
        return None, "nested too deeply"
    except ValueError:
        return None, "a number has too many digits"


def unpaired_surrogate(text: str) -> str | None:
    """Where ``text`` holds a lone UTF-16 surrogate, or None.

    JSON can escape one ("\\ud800"), but it is no character: no UTF-8 output can hold it.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"an unpaired surrogate \\u{ord(text[exc.start]):04x} at character {exc.start}"
    return None


def record_surrogate(record: object) -> str | None:
    """Why ``record``, a JSON value about to be written, cannot be: a string of it holds a lone surrogate; or None.

    Every string counts, keys and nested ones too: one is enough to make the whole line unwritable.
    """
    if unpaired_surrogate(json.dumps(record, ensure_ascii=False)):
        return "a string holds an unpaired surrogate (a \\ud800-\\udfff escape), which is not text"
    return None


def _read_jsonl_lines(lines, stem: str, origin: str) -> Iterator[Article | InputProblem]:
    for lineno, raw in enumerate(lines, 1):
        where = f"{origin}:{lineno}"
        fallback_id = f"{stem}:{lineno}"
        if is_blank_line(raw):
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield InputProblem(fallback_id, "undecodable", f"line {lineno} is {_not_utf8(exc, raw)}",
                               where, content_hash(raw))
            continue
        # A byte-order mark starts a file, or each file of a concatenation (cat a.jsonl b.jsonl).
        record, why = parse_json_line(line.removeprefix("\ufeff"))
        if why is not None:
            yield InputProblem(fallback_id, "not_json", f"line {lineno} is not JSON ({why})", where, content_hash(raw))
            continue
        if not isinstance(record, dict):
            yield InputProblem(fallback_id, "not_object", f"line {lineno} is not a JSON object", where, content_hash(raw))
            continue
        raw_id = record.get("id", record.get("doc_id"))
        doc_id = str(raw_id) if raw_id is not None else fallback_id
        text = record.get("text")
        if why := unpaired_surrogate(doc_id):
            yield InputProblem(fallback_id, "bad_id", f"line {lineno}: the id is not valid Unicode ({why})",
                               where, content_hash(raw))
        elif text is None:
            yield InputProblem(doc_id, "missing_text", f"line {lineno} has no \"text\" field", where, content_hash(raw))
        elif not isinstance(text, str):
            yield InputProblem(doc_id, "bad_text", f"line {lineno}: \"text\" is not a string", where, content_hash(raw))
        elif why := unpaired_surrogate(text):
            yield InputProblem(doc_id, "bad_text", f"line {lineno}: \"text\" is not valid Unicode ({why})",
                               where, content_hash(raw))
        else:
            yield _article(doc_id, text, where)


def peekable_stdin(stdin: BinaryIO | None = None) -> io.BufferedReader | None:
    """Stdin (or ``stdin``) as a stream whose start can be looked at and still be read; None if stdin is closed."""
    stream = stdin if stdin is not None else getattr(sys.stdin, "buffer", None)
    if stream is None or isinstance(stream, io.BufferedReader):
        return stream
    return io.BufferedReader(stream)


def _read_stdin(stream: BinaryIO) -> Iterator[Article | InputProblem]:
    # JSON lines start with "{" (after any byte-order mark and blank space); anything else is one article.
    buffered = peekable_stdin(stream)
    head = buffered.peek(4096).removeprefix(codecs.BOM_UTF8).lstrip()
    if head.startswith(b"{"):
        yield from _read_jsonl_lines(buffered, "stdin", "stdin")
    else:
        yield _decode(buffered.read(), "stdin", "stdin")
