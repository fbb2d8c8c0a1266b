"""News-grade sentence segmentation and quotation tracking (spaCy component ``claimlens_segmenter``).

Interface (kept stable for the rest of the pipeline):

* the factory ``claimlens_segmenter`` sets ``token.is_sent_start`` on every token;
* every sentence span of ``doc.sents`` has ``span._.skipped`` (a reason from ``SKIP_REASONS``
  or None) and ``span._.quote`` (``{"id", "speaker_tag": {"start", "end"} | None}`` or None,
  character offsets into ``doc.text``);
* ``doc._.quotes`` lists the direct quotations: ``{"id", "start", "end", "speaker_tag"}``.

How it stays fast: the tokenizer has already done the hard work, so the component reads the
token hashes once (``doc.to_array``), maps them in a few numpy steps through a per-lexeme table
of bit flags (computed once per vocabulary entry, never per token; ``pipe`` does it once per
batch), and runs Python logic only at the few tokens that can matter: periods, ``!``/``?``,
newlines, quotation marks, bullets. Lines are matched against the non-claim patterns only when
their token flags leave a pattern possible. Rules and word lists live in
``nlp/resources/segmentation/`` and travel with the pipeline through ``to_disk``/``from_disk``.
"""
from __future__ import annotations

import json
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from itertools import compress
from pathlib import Path
from typing import Iterable

import numpy
from spacy.attrs import ORTH, SENT_START, SPACY
from spacy.language import Language
from spacy.strings import get_string_id
from spacy.tokens import Doc, Span
from spacy.util import minibatch

from nlp import extensions  # noqa: F401  (registers extensions)
from nlp.doc_strings import texts_with_space
from nlp.errors import ModelError

RESOURCES = Path(__file__).resolve().parent / "resources" / "segmentation"
DATA_FILES = ("abbreviations.json", "words.json", "skip_patterns.json", "inline_splits.json")
SKIP_REASONS = (
    "tag line", "photo credit", "caption", "byline", "dateline", "navigation", "section heading", "empty",
)

# Lexeme flags. A token is a candidate (looked at by Python code) only if it has a CAND bit.
NEWLINE = 1 << 0
PERIOD = 1 << 1  # "."
ABBR_DOT = 1 << 2  # a word token that ends in "." ("Gen.", "U.S.", "a.")
TERM = 1 << 3  # "!", "?", "?!", "....": ends a sentence before a capital
QUOTE = 1 << 4  # a double quotation mark (any glyph) or a curly single one
BULLET = 1 << 5
SLASH = 1 << 6
ELLIPSIS = 1 << 7  # "..." or "…": no break by itself (a candidate only for "[...]")
CAND = NEWLINE | PERIOD | ABBR_DOT | TERM | QUOTE | BULLET | SLASH | ELLIPSIS
SPACE = 1 << 8
UPPER = 1 << 9
LOWER = 1 << 10
DIGIT = 1 << 11  # digit or currency sign: "189 of those ...", "$5 million ..."
STARTER = 1 << 12
SPEECH = 1 << 13
CLOSER = 1 << 14
OPENER = 1 << 15
DASH = 1 << 16
DATEWORD = 1 << 17
TIME_FOLLOW = 1 << 18
PREP = 1 << 19
CREDIT = 1 << 20
PUNCT = 1 << 21  # no letter or digit at all
COMMA = 1 << 22  # "," ";" ":" — may end the quoted part before a speaker tag
COLON = 1 << 23
SINGLE_Q = 1 << 24  # curly single quotation mark (open ‘ / close ’)
OPEN_GLYPH = 1 << 25  # a single quotation mark that can only open: ‘ ‹ ‚
BRACKET = 1 << 26  # an opening bracket: "(audio)" after a full stop, "[...]", a "((WN))" tag
SKIP_OPENER = 1 << 27  # first word of a non-claim line that ends like a sentence ("Reporting by ...")
SKIP_CUE = 1 << 28  # a word that marks such a line anywhere in it ("... reports from Seoul.")
SKIP_FIRST = 1 << 29  # first word of any non-claim line pattern ("By", "Read", "Photo", ...)
# Inside a line, these make it worth trying the non-claim patterns (datelines, credits, bylines ...).
NOT_PROSE = COMMA | DASH | SLASH | BRACKET | SKIP_CUE

BREAK_NEXT = UPPER | DIGIT  # what may follow a sentence end

# Word classes for the word in front of a period, kept in the lexeme flags from bit W_SHIFT.
W_PLAIN, W_NO_BREAK, W_NUMBER_ABBR, W_MONTH, W_TIME, W_GENERAL, W_INITIAL, W_LETTER, W_NUMBER, W_PUNCT = range(10)
W_SHIFT = 32

_NEWLINE_CHARS = "\n\r\u2028\u2029\x0b\x0c\x85"
_TERM_CHARS = frozenset("!?‼⁇⁈⁉")
_DOUBLE_QUOTES = frozenset(['"', "“", "”", "„", "«", "»", "``", "''", "‟", "＂"])
_SINGLE_QUOTES = frozenset(["‘", "’", "‚", "‹", "›"])
_OPEN_BRACKETS = frozenset("([{")
_CLOSE_BRACKETS = frozenset(")]}")
_DASHES = frozenset(["-", "--", "—", "–", "---", "―"])
_WORD_CHAR = re.compile(r"[^\W_]")
_SENTENCE_END = re.compile(r"(?:[.!?…]|[.!?…][\"'”’»]+)$")
_DATELINE_PARAGRAPHS = 4  # a "WASHINGTON (AP) —" dateline opens one of the first paragraphs
_DOTTED = re.compile(r"(?:[A-Za-z]{1,3}\.)+[A-Za-z]{1,3}")


@dataclass
class Segmentation:
    """What ``predict`` found; ``set_annotations`` writes it onto the Doc."""

    starts: list[int]
    spaces: list[int] = field(default_factory=list)  # 1 when a token has whitespace after it
    offsets: dict[int, int] = field(default_factory=dict)  # token -> character offset, when known
    skipped: dict[int, str] = field(default_factory=dict)  # sentence index -> reason
    sentence_quotes: dict[int, int] = field(default_factory=dict)  # sentence index -> quotation id
    quotes: list[dict] = field(default_factory=list)  # doc._.quotes: {"id", "start", "end", "speaker_tag"}


class _Quote:
    """A quotation found by its marks (token indices)."""

    __slots__ = ("open", "close", "last", "single", "paragraph", "group")

    def __init__(self, open_: int, single: bool, paragraph: int):
        self.open = open_  # the opening mark
        self.close: int | None = None  # the closing mark; None when the paragraph ended first
        self.last = open_  # last token inside the quotation (the closing mark when there is one)
        self.single = single
        self.paragraph = paragraph
        self.group = -1  # quotations continued across paragraphs share a group


class NewsSegmenter:
    """Sentence boundaries, non-claim segments and quotations for news text."""

    def __init__(
        self,
        pipeline: Language,
        name: str = "claimlens_segmenter",
        *,
        track_quotes: bool = True,
        single_quotes: bool = True,
        max_skip_tokens: int = 40,
        max_heading_words: int = 4,
        max_tag_tokens: int = 15,
        data_dir: str | None = None,
    ):
        self.name = name
        self.vocab = pipeline.vocab
        self.cfg = {
            "track_quotes": track_quotes,
            "single_quotes": single_quotes,
            "max_skip_tokens": max_skip_tokens,
            "max_heading_words": max_heading_words,
            "max_tag_tokens": max_tag_tokens,
        }
        self.load_data(Path(data_dir) if data_dir else RESOURCES)

    # ------------------------------------------------------------------ data

    def load_data(self, path: Path) -> None:
        data = {}
        for fname in DATA_FILES:
            fpath = path / fname
            try:
                data[fname] = json.loads(fpath.read_text(encoding="utf-8"))
            except (OSError, ValueError) as err:
                raise ModelError(f"segmenter data file {fpath} is missing or unreadable: {err}") from err
        self.set_data(data)

    def set_data(self, data: dict[str, dict]) -> None:
        """Use these rule files (file name -> parsed JSON), e.g. after editing ``self.data``."""
        missing = [fname for fname in DATA_FILES if fname not in data]
        if missing:
            raise ModelError(f"segmenter data is missing {missing}")
        self.data = data
        try:
            self._compile()
        except (KeyError, TypeError, re.error) as err:
            raise ModelError(f"segmenter data is malformed: {err!r}") from err

    def _compile(self) -> None:
        abbr = self.data["abbreviations.json"]
        exact: dict[str, int] = {}
        folded: dict[str, int] = {}
        for key, cls in (("no_break", W_NO_BREAK), ("before_number", W_NUMBER_ABBR), ("month", W_MONTH),
                         ("time", W_TIME), ("general", W_GENERAL)):
            for word in abbr[key]["words"]:
                exact.setdefault(word, cls)
                if word == word.lower():
                    folded.setdefault(word, cls)
        self._abbr_exact, self._abbr_folded = exact, folded
        words = self.data["words.json"]
        self._starters = frozenset(words["sentence_starters"]["words"])
        self._speech = frozenset(w.lower() for w in words["speech_verbs"]["words"])
        self._time_follow = frozenset(words["time_followers"]["words"])
        self._preps = frozenset(words["opening_prepositions"]["words"])
        self._date_words = frozenset(words["date_words"]["words"])
        self._credit = frozenset(words["credit_words"]["words"])
        self._bullets = frozenset(words["bullets"]["chars"])
        skip = self.data["skip_patterns.json"]["patterns"]
        self._skip_re = re.compile(
            "|".join(f"(?P<s{i}>{p['pattern']})" for i, p in enumerate(skip)), re.DOTALL
        )
        self._skip_sentence_re = re.compile(
            "|".join(f"(?P<s{i}>{p['pattern']})" for i, p in enumerate(skip) if p.get("sentence")), re.DOTALL
        )
        self._skip_reason = {f"s{i}": p["reason"] for i, p in enumerate(skip)}
        sentence_patterns = [p for p in skip if p.get("sentence")]
        self._skip_openers = frozenset(w for p in sentence_patterns for w in p.get("first_words") or ())
        self._skip_cues = frozenset(w for p in sentence_patterns for w in p.get("cue_words") or ())
        self._skip_first = frozenset(w for p in skip for w in p.get("first_words") or ())
        unknown = set(self._skip_reason.values()) - set(SKIP_REASONS)
        if unknown:
            raise ModelError(f"segmenter skip patterns use unknown reasons: {sorted(unknown)}")
        inline = self.data["inline_splits.json"]["patterns"]
        self._inline_re = re.compile("|".join(f"(?:{p['pattern']})" for p in inline))
        # Flags (and the word class) of each lexeme, computed once per vocabulary entry.
        self._flags = _FlagTable(lambda orth: self.lexeme_flags(self.vocab.strings[orth]))

    def lexeme_flags(self, text: str) -> int:
        """Bit flags of one token text (cached per lexeme by the component)."""
        if text.isspace() or not text:
            return SPACE | (NEWLINE if any(c in text for c in _NEWLINE_CHARS) else 0)
        f = 0
        first = text[0]
        if first.isupper():
            f |= UPPER
        elif first.islower():
            f |= LOWER
        elif first.isdigit() or first in "$£€¥₩₹":
            f |= DIGIT
        if text == ".":
            f |= PERIOD
        elif text.endswith("."):
            if set(text) == {"."}:
                f |= ELLIPSIS if len(text) == 3 else TERM
            elif text.rstrip(".") and set(text.rstrip(".")) <= _TERM_CHARS:
                f |= TERM
            elif any(c.isalnum() for c in text):
                f |= ABBR_DOT
        elif set(text) <= _TERM_CHARS:
            f |= TERM
        elif text in ("…", "……"):
            f |= ELLIPSIS
        if text in _DOUBLE_QUOTES:
            f |= QUOTE | OPENER | CLOSER
        elif text in _SINGLE_QUOTES:
            f |= (QUOTE | SINGLE_Q if self.cfg["single_quotes"] else 0) | CLOSER | OPENER
            if text in ("‘", "‹", "‚"):
                f |= OPEN_GLYPH
        elif text == "'":
            f |= CLOSER | OPENER
        elif text in _OPEN_BRACKETS:
            f |= OPENER | BRACKET
        elif text in _CLOSE_BRACKETS:
            f |= CLOSER
        elif text in _DASHES:
            f |= DASH
        elif text in (",", ";"):
            f |= COMMA
        elif text == ":":
            f |= COMMA | COLON
        elif text in ("/", "|"):
            f |= SLASH
        if first in self._bullets:
            f |= BULLET
        if not any(c.isalnum() for c in text):
            f |= PUNCT
        if text in self._starters:
            f |= STARTER
        if text.lower() in self._speech:
            f |= SPEECH
        if text in self._time_follow:
            f |= TIME_FOLLOW
        if text in self._preps:
            f |= PREP
        if text in self._date_words:
            f |= DATEWORD
        if text in self._credit:
            f |= CREDIT
        if text in self._skip_openers:
            f |= SKIP_OPENER
        if text in self._skip_cues:
            f |= SKIP_CUE
        if text in self._skip_first:
            f |= SKIP_FIRST
        if not self.cfg["track_quotes"]:
            f &= ~QUOTE
        return f | self.word_class(text[:-1] if text.endswith(".") and len(text) > 1 else text) << W_SHIFT

    def word_class(self, word: str) -> int:
        """How a period after ``word`` is treated (``word`` without the period)."""
        word = word.lstrip("".join(self._bullets))
        if not word:
            return W_PUNCT
        cls = self._abbr_exact.get(word)
        if cls is not None:
            return cls
        if len(word) == 1:
            if word.isupper():
                return W_INITIAL
            if word.islower():
                return W_LETTER
        cls = self._abbr_folded.get(word.lower())
        if cls is not None:
            return cls
        if word.isdigit():
            return W_NUMBER
        if _DOTTED.fullmatch(word):
            return W_GENERAL
        if not any(c.isalnum() for c in word):
            return W_PUNCT
        return W_PLAIN

    # ------------------------------------------------------------- component

    def __call__(self, doc: Doc) -> Doc:
        self.set_annotations(doc, self.predict(doc))
        return doc

    def pipe(self, stream: Iterable[Doc], *, batch_size: int = 128) -> Iterable[Doc]:
        for docs in minibatch(stream, size=batch_size):
            for doc, seg in zip(docs, self.predict_batch(docs)):
                self.set_annotations(doc, seg)
                yield doc

    def predict(self, doc: Doc) -> Segmentation:
        n = len(doc)
        if n == 0:
            return Segmentation(starts=[])
        array = doc.to_array([ORTH, SPACY])
        orths = array[:, 0]
        flag_array = self._flags.lookup(orths)
        cands = (flag_array & CAND).nonzero()[0].tolist()
        return _Pass(self, doc, orths, array[:, 1].tolist(), flag_array).run(cands)

    def predict_batch(self, docs: list[Doc]) -> list[Segmentation]:
        """``predict`` for several documents, with one table lookup for all their tokens."""
        if len(docs) == 1:
            return [self.predict(docs[0])]
        arrays = [doc.to_array([ORTH, SPACY]) for doc in docs if len(doc)]
        if not arrays:
            return [Segmentation(starts=[]) for _ in docs]
        array = numpy.concatenate(arrays)
        orths = array[:, 0]
        flag_array = self._flags.lookup(orths)
        flags, spaces = flag_array.tolist(), array[:, 1].tolist()
        cands = (flag_array & CAND).nonzero()[0]
        sizes = [len(doc) for doc in docs]
        ends = numpy.cumsum(sizes)
        cuts = numpy.searchsorted(cands, ends).tolist()
        results = []
        start = first = 0
        for doc, n, end, cut in zip(docs, sizes, ends.tolist(), cuts):
            if not n:
                results.append(Segmentation(starts=[]))
                continue
            pass_ = _Pass(self, doc, orths[start:end], spaces[start:end], flag_array[start:end], flags[start:end])
            results.append(pass_.run((cands[first:cut] - start).tolist()))
            start, first = end, cut
        return results

    def set_annotations(self, doc: Doc, seg: Segmentation) -> None:
        n = len(doc)
        if _KEYS_OK:
            doc.user_data[("._.", "quotes", None, None)] = seg.quotes
        else:
            doc._.quotes = seg.quotes
        if n == 0:
            return
        values = numpy.empty((n, 1), dtype=numpy.int64)
        values.fill(-1)
        values[seg.starts, 0] = 1
        doc.from_array([SENT_START], values.view(numpy.uint64))
        if not seg.skipped and not seg.sentence_quotes:
            return
        starts = seg.starts
        bounds = starts[1:] + [n]
        tags = {q["id"]: q["speaker_tag"] for q in seg.quotes}
        values = [(si, "skipped", reason) for si, reason in seg.skipped.items()]
        values.extend(
            (si, "quote", {"id": qid, "speaker_tag": dict(tags[qid]) if tags[qid] else None})
            for si, qid in seg.sentence_quotes.items()
        )
        if _KEYS_OK:
            # Same entries as ``Span(doc, s, e)._.name = value`` writes, at a fraction of the cost
            # (checked against spaCy's own Underscore when this module is imported). A sentence
            # ends where the next one starts, less the whitespace after its last token.
            user_data, spaces = doc.user_data, seg.spaces
            idx = seg.offsets  # token -> character offset (a quote's sentences follow each other)
            for si, name, value in values:
                start, end = starts[si], bounds[si]
                start_char = idx.get(start)
                if start_char is None:
                    start_char = idx[start] = doc[start].idx
                if end < n:
                    end_char = idx.get(end)
                    if end_char is None:
                        end_char = idx[end] = doc[end].idx
                    end_char -= spaces[end - 1]
                else:
                    last = doc[end - 1]
                    end_char = last.idx + len(last)
                user_data[("._.", name, start_char, end_char)] = value
        else:
            for si, name, value in values:
                setattr(Span(doc, starts[si], bounds[si])._, name, value)

    def skip_reason(self, text: str, *, first_line: bool = False, sentence: bool | None = None) -> str | None:
        """Why a segment (a whole line) is not a claim, or None.

        ``first_line``: the segment is the first line of the document (a headline is a claim,
        so it is never taken for a section heading). ``sentence``: the segment ends like a
        sentence, so only the patterns marked "sentence" can match (None: decide from the text).
        """
        text = text.strip()
        if not _WORD_CHAR.search(text):
            return "empty"
        if sentence is None:
            sentence = _SENTENCE_END.search(text) is not None
        m = (self._skip_sentence_re if sentence else self._skip_re).fullmatch(text)
        if m:
            return self._skip_reason[m.lastgroup]
        # (a short line ending with ":" is a heading only when the pattern above says so: "He said:")
        if not (first_line or sentence) and text[-1] not in "):" and len(text.split()) <= self.cfg["max_heading_words"]:
            return "section heading"
        return None

    # ---------------------------------------------------------- serialisation

    def to_disk(self, path, *, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / "cfg.json").write_text(json.dumps(self.cfg, indent=1) + "\n", encoding="utf-8")
        for fname in DATA_FILES:
            (path / fname).write_text(json.dumps(self.data[fname], indent=1, ensure_ascii=False) + "\n",
                                      encoding="utf-8")

    def from_disk(self, path, *, exclude: Iterable[str] = ()) -> "NewsSegmenter":
        path = Path(path)
        cfg_path = path / "cfg.json"
        if cfg_path.exists():
            self.cfg.update(json.loads(cfg_path.read_text(encoding="utf-8")))
        self.load_data(path)
        return self


class _FlagTable:
    """Lexeme hash -> flags, as an open-addressing hash table in numpy arrays.

    A whole Doc is looked up in a few vectorised steps (a Python dict would cost one
    interpreter round trip per token); a lexeme is classified in Python only the first time
    it is seen.
    """

    def __init__(self, classify, size: int = 1 << 15):
        self.classify = classify  # orth hash -> flags
        self.slot_of: dict[int, int] = {}
        self._allocate(size)

    def _allocate(self, size: int) -> None:
        self.size = size
        # Hash 0 marks a free slot: it is the empty string's, which is never a token (an extra
        # slot, never probed, keeps its flags should it be inserted).
        self.keys = numpy.zeros(size + 1, dtype=numpy.uint64)
        self.values = numpy.zeros(size + 1, dtype=numpy.int64)

    def lookup(self, orths: numpy.ndarray) -> numpy.ndarray:
        keys = self.keys
        slots = orths.view(numpy.int64) & (self.size - 1)
        todo = (keys[slots] != orths).nonzero()[0]
        while todo.size:
            found = keys[slots[todo]]
            new = todo[found == 0]
            if new.size:
                size = self.size
                for i in new.tolist():
                    slots[i] = self._insert(int(orths[i]))
                if self.size != size:  # the table grew: every slot moved
                    return self.lookup(orths)
            moving = todo[found != 0]
            slots[moving] = (slots[moving] + 1) & (self.size - 1)
            todo = moving[keys[slots[moving]] != orths[moving]]
        return self.values[slots]

    def _insert(self, orth: int) -> int:
        slot = self.slot_of.get(orth)
        if slot is not None:
            return slot
        value = self.classify(orth)
        if orth == 0:
            slot = self.size
        else:
            if 2 * (len(self.slot_of) + 1) > self.size:
                self._grow()
            slot = orth & (self.size - 1)
            while self.keys[slot]:
                slot = (slot + 1) & (self.size - 1)
        self.keys[slot] = orth
        self.values[slot] = value
        self.slot_of[orth] = slot
        return slot

    def _grow(self) -> None:
        old = [(orth, int(self.values[slot])) for orth, slot in self.slot_of.items()]
        self._allocate(self.size * 2)
        self.slot_of = {}
        for orth, value in old:
            slot = self.size if orth == 0 else orth & (self.size - 1)
            while orth and self.keys[slot]:
                slot = (slot + 1) & (self.size - 1)
            self.keys[slot] = orth
            self.values[slot] = value
            self.slot_of[orth] = slot


class _Pass:
    """One left-to-right pass over the candidate tokens of a Doc."""

    def __init__(self, seg: NewsSegmenter, doc: Doc, orths: numpy.ndarray, spaces: list[int],
                 flag_array: numpy.ndarray, flags: list[int] | None = None):
        self.seg, self.doc, self.orths, self.spaces = seg, doc, orths, spaces
        self.flag_array = flag_array
        self.flags: list[int] = flag_array.tolist() if flags is None else flags
        self.n = len(self.flags)
        self.starts: list[int] = []
        self.para_starts: list[int] = []  # first non-space token of each paragraph
        self.forced: list[int] = []  # list items found ahead of the pass
        self.list_items: set[int] = set()  # tokens that open a list item ("c." is not circa there)
        self.inline_split: set[int] = set()  # starts made by an inline dateline/credit split
        self.quotes: list[_Quote] = []
        self.closes: list[int] = []  # closing marks of all quotations, in order
        self.open_quote: _Quote | None = None
        self.dashes: list[int] | None = None  # token indices of dashes, when first needed
        self.offsets: dict[int, int] = {}  # token -> character offset, when first needed

    # ------------------------------------------------------------ helpers

    def next_word(self, j: int) -> int:
        """First token at or after j that is not whitespace nor an opening mark (n if none)."""
        flags, n = self.flags, self.n
        while j < n and flags[j] & (SPACE | OPENER):
            j += 1
        return j

    def add_start(self, j: int) -> None:
        flags, n = self.flags, self.n
        while j < n and flags[j] & SPACE:
            j += 1
        if j >= n or (self.starts and j <= self.starts[-1]):
            return
        self.starts.append(j)
        if flags[j] & (DIGIT | ABBR_DOT | BULLET):
            self.find_list(j)

    def paragraph_end(self, j: int) -> int:
        """Index just past the paragraph that contains token j."""
        flags, n = self.flags, self.n
        while j < n and not flags[j] & NEWLINE:
            j += 1
        return j

    # --------------------------------------------------------------- lists

    def list_marker(self, j: int) -> tuple[str, int] | None:
        """(kind, value) when token j opens a list item such as '1.', '2.)', '3)', 'b.', '• 9.'."""
        flags, n = self.flags, self.n
        if flags[j] & BULLET:
            text = self.text(j).lstrip("".join(self.seg._bullets))
            if not text and j + 1 < n:
                return None
        else:
            text = self.text(j)
        if text.isdigit() and len(text) <= 3:
            if j + 1 < n and not self.spaces[j] and self.text(j + 1) in (".", ")"):
                return ("number", int(text))
            return None
        if len(text) == 2 and text[1] == "." and "a" <= text[0] <= "y":
            return ("letter", ord(text[0]))
        return None

    def find_list(self, j: int) -> None:
        """At a segment start that looks like item k of a list, force a start at item k+1."""
        marker = self.list_marker(j)
        if marker is None:
            return
        kind, value = marker
        self.list_items.add(j)
        n = self.n
        want = str(value + 1) if kind == "number" else chr(value + 1) + "."
        end = self.paragraph_end(j)
        for k in ((self.orths[j + 1:end] == get_string_id(want)).nonzero()[0] + j + 1).tolist():
            if self.spaces[k - 1] or self.flags[k - 1] & BULLET:
                if kind == "letter" or (k + 1 < n and self.text(k + 1) in (".", ")")):
                    at = k - 1 if self.flags[k - 1] & BULLET and not self.spaces[k - 1] else k
                    if not self.forced or at > self.forced[-1]:
                        self.forced.append(at)
                        self.list_items.add(k)
                    return

    def at_item_start(self, w: int) -> bool:
        """Token w opens the current segment, possibly after a bullet."""
        if not self.starts:
            return True
        last = self.starts[-1]
        return w == last or (w == last + 1 and self.flags[last] & BULLET)

    # ---------------------------------------------------------- paragraphs

    def paragraph(self, j: int) -> None:
        """Token j (first non-space) opens a paragraph."""
        flags, n = self.flags, self.n
        while j < n and flags[j] & SPACE:
            j += 1
        if j >= n:
            return
        if self.open_quote is not None:
            self.close_quote_at_paragraph_end(j)
        self.para_starts.append(j)
        self.add_start(j)
        f = flags[j]
        if f & (DATEWORD | BRACKET) or (f & UPPER and len(self.para_starts) <= _DATELINE_PARAGRAPHS and self.dash_near(j)):
            self.inline_splits(j)

    def dash_near(self, j: int) -> bool:
        """A dash within the first words from token j ("WASHINGTON (AP) — ...")."""
        if self.dashes is None:
            self.dashes = (self.flag_array & DASH).nonzero()[0].tolist()
        k = bisect_left(self.dashes, j)
        return k < len(self.dashes) and self.dashes[k] < j + 16

    def char(self, i: int) -> int:
        """Character offset of token i (n: the end of the text)."""
        offset = self.offsets.get(i)
        if offset is None:
            if i < self.n:
                offset = self.doc[i].idx
            else:
                last = self.doc[i - 1]
                offset = last.idx + len(last) + self.spaces[i - 1]
            self.offsets[i] = offset
        return offset

    def char_end(self, i: int) -> int:
        """Character offset just past token i."""
        return self.char(i + 1) - self.spaces[i]

    def text(self, i: int) -> str:
        return self.seg.vocab.strings[int(self.orths[i])]

    def pieces(self, a: int, b: int) -> list[str]:
        """Texts of tokens [a, b) with their trailing whitespace (much cheaper than ``Span.text``)."""
        return texts_with_space(self.doc, self.orths[a:b].tolist(), self.spaces[a:b])

    def text_of(self, a: int, b: int) -> str:
        return "".join(self.pieces(a, b))

    def inline_splits(self, j: int) -> None:
        """A dateline or '((WN))' tag running into the first sentence of the paragraph at j."""
        flags, n = self.flags, self.n
        f = flags[j]
        limit = min(n, j + 16)
        dash = False
        stop = limit
        for k in range(j + 1, limit):
            fk = flags[k]
            if fk & NEWLINE:
                stop = k
                break
            if fk & DASH:
                dash = True
            elif fk & LOWER and not dash and not f & (DATEWORD | BRACKET):
                return  # only capitalised words (and their punctuation) come before a dateline's dash
        if not (dash or f & (DATEWORD | BRACKET)):
            return
        if stop - j < (7 if f & DATEWORD and not dash else 3):
            return  # "Wednesday, May 23, 2012" alone on its line: nothing runs into it
        pieces = self.pieces(j, stop)
        m = self.seg._inline_re.match("".join(pieces))
        if not m:
            return
        target, offset = m.end(), 0
        for k, piece in enumerate(pieces):
            if offset >= target:
                if k:
                    self.add_start(j + k)
                    self.inline_split.add(j)
                return
            offset += len(piece)

    # --------------------------------------------------------------- quotes

    def quote_mark(self, i: int, f: int) -> None:
        flags, spaces, n = self.flags, self.spaces, self.n
        before_ws = i == 0 or spaces[i - 1] or flags[i - 1] & (SPACE | BRACKET | DASH)
        after_ws = i + 1 >= n or spaces[i] or flags[i + 1] & (SPACE | PUNCT)
        current = self.open_quote
        if f & SINGLE_Q:
            if current is None:
                if f & OPEN_GLYPH and before_ws and not after_ws:
                    self.open_quote = _Quote(i, True, len(self.para_starts))
            elif current.single and not f & OPEN_GLYPH and not before_ws:
                self.finish_quote(current, i)
            return
        if before_ws and not after_ws:
            opening = True
        elif after_ws and not before_ws:
            opening = False
        else:
            opening = current is None or current.single
        if opening:
            if current is not None:
                if current.single:  # a single-quoted span never holds a double quotation
                    self.open_quote = None
                else:
                    self.finish_quote(current, None, last=i - 1)
            self.open_quote = _Quote(i, False, len(self.para_starts))
        elif current is not None and not current.single:
            self.finish_quote(current, i)

    def finish_quote(self, q: _Quote, close: int | None, last: int | None = None) -> None:
        self.open_quote = None
        q.close = close
        q.last = close if close is not None else last
        if q.last is None or q.last <= q.open:
            return
        flags = self.flags
        if close is not None:
            self.closes.append(close)
        if close is not None and q.open and not flags[q.open - 1] & (PUNCT | SPACE):
            # 'as "garrison areas" for ...': a phrase quoted after a word, with no sentence
            # end inside, never holds a sentence of its own (see assign_quotes)
            for k in range(q.open + 1, close):
                if flags[k] & (PERIOD | TERM | ABBR_DOT | ELLIPSIS | BULLET | SLASH):
                    break
            else:
                return
        self.quotes.append(q)

    def close_quote_at_paragraph_end(self, next_para: int) -> None:
        q = self.open_quote
        last = next_para - 1
        while last > q.open and self.flags[last] & SPACE:
            last -= 1
        if q.single:  # an apostrophe, not a quotation
            self.open_quote = None
            return
        self.finish_quote(q, None, last=last)

    # --------------------------------------------------------------- run

    def run(self, cands: list[int]) -> Segmentation:
        flags, spaces, n = self.flags, self.spaces, self.n
        starts = self.starts
        list_items = self.list_items
        self.paragraph(0)
        consumed = -1
        forced = self.forced
        for i in cands:
            if forced and forced[0] <= i:
                while forced and forced[0] <= i:
                    self.add_start(forced.pop(0))
            f = flags[i]
            if f & NEWLINE:
                j = i + 1
                if j < n and not flags[j] & SPACE and self.open_quote is None:
                    # the common paragraph start, inlined: "...\n\nThe ..."
                    self.para_starts.append(j)
                    if not starts or j > starts[-1]:
                        starts.append(j)
                        if flags[j] & (DIGIT | ABBR_DOT | BULLET):
                            self.find_list(j)
                    fj = flags[j]
                    # datelines open the story: only the first paragraphs can hold one
                    if fj & (DATEWORD | BRACKET) or (
                            fj & UPPER and len(self.para_starts) <= _DATELINE_PARAGRAPHS and self.dash_near(j)):
                        self.inline_splits(j)
                else:
                    self.paragraph(j)
                continue
            if f & QUOTE:
                self.quote_mark(i, f)
                continue
            if i <= consumed:
                continue
            if f & (PERIOD | ABBR_DOT) and (i + 1 == n or flags[i + 1] & NEWLINE):
                continue  # the paragraph (or the text) ends here anyway
            if f & PERIOD and i and not spaces[i - 1] and spaces[i] and i + 1 < n:
                # the common sentence end, inlined: "word. Next"
                w = i - 1
                cls = flags[w] >> W_SHIFT
                nf = flags[i + 1]
                if cls == W_PLAIN and not nf & (PERIOD | OPENER) and w not in list_items:
                    if nf & BREAK_NEXT and not nf & SPACE and (not starts or i + 1 > starts[-1]):
                        starts.append(i + 1)
                        if nf & (DIGIT | ABBR_DOT | BULLET):
                            self.find_list(i + 1)
                    continue
            if f & BULLET:
                if i == 0 or spaces[i - 1] or flags[i - 1] & SPACE:
                    self.add_start(i)
                continue
            if f & SLASH:
                if i + 1 < n and flags[i + 1] & CREDIT and (i == 0 or spaces[i - 1]):
                    self.add_start(i)
                    self.inline_split.add(i)
                continue
            if f & TERM:
                consumed = self.terminal(i)
                continue
            if f & ELLIPSIS:
                self.ellipsis(i)
                continue
            consumed = self.period(i, f)
        while forced:
            self.add_start(forced.pop(0))
        if self.open_quote is not None:
            last = n - 1
            while last > self.open_quote.open and flags[last] & SPACE:
                last -= 1
            if self.open_quote.single:
                self.open_quote = None
            else:
                self.finish_quote(self.open_quote, None, last=last)
        starts = self.starts
        if not starts:
            starts.append(0)
        else:
            starts[0] = 0
        result = Segmentation(starts=starts, spaces=spaces, offsets=self.offsets)
        self.mark_skipped(result)
        if self.quotes:
            self.assign_quotes(result)
        return result

    def terminal(self, i: int) -> int:
        """A '!'/'?' group at i. Returns the last token consumed."""
        flags, spaces, n = self.flags, self.spaces, self.n
        k = i
        while k + 1 < n and not spaces[k] and flags[k + 1] & (TERM | PERIOD | ELLIPSIS):
            k += 1
        self.end_after(k)
        return k

    def end_after(self, k: int, *, strict: bool = False) -> None:
        """The sentence may end with token k: absorb closing marks, then look at the next word.

        ``strict``: the word in front of the period is an abbreviation that usually does not end
        a sentence, so only a typical sentence opener ("The", "He", ...) starts a new one.
        """
        flags, spaces, n = self.flags, self.spaces, self.n
        quoted = False
        while k + 1 < n and not spaces[k] and flags[k + 1] & CLOSER:
            k += 1
            quoted = quoted or bool(flags[k] & QUOTE)
        m = self.next_word(k + 1)
        if m < n and flags[m] & ELLIPSIS and self.bracketed(m):
            if m == k + 1 + 1 and flags[k + 1] & BRACKET:
                return  # "... intersect. [...] The letter": the omission mark closes this sentence
            m = self.next_word(m + 2)
        if m >= n:
            return
        fm = flags[m]
        if not fm & BREAK_NEXT:
            # "... said Marco Aurélio Garcia. (audio)": a bracket after a full stop opens a new segment.
            if strict or not (spaces[k] and flags[k + 1] & BRACKET and not flags[k] & BRACKET):
                return
        elif strict and not fm & STARTER:
            return
        if quoted and fm & UPPER and flags[k - 1] & TERM and self.speaker_follows(m):
            return
        self.add_start(k + 1)

    def speaker_follows(self, m: int) -> bool:
        """'"Why?" Smith asked.': a speaker tag that ends the sentence belongs to the quotation."""
        flags, n = self.flags, self.n
        speech = False
        for j in range(m, min(n, m + 6)):
            fj = flags[j]
            if fj & SPEECH:
                speech = True
            elif fj & (PERIOD | NEWLINE):
                return speech
            elif fj & (PUNCT | SPACE):
                return False
        return False

    def bracketed(self, i: int) -> bool:
        """Token i is the "..." of "[...]"."""
        return (0 < i < self.n - 1 and self.flags[i - 1] & BRACKET and not self.spaces[i - 1]
                and not self.spaces[i] and self.text(i + 1) in ("]", ")"))

    def ellipsis(self, i: int) -> None:
        """'[...]' marks an omission between two quoted sentences when a capital follows."""
        if self.bracketed(i) and self.spaces[i + 1] and i + 2 < self.n and self.flags[i + 2] & UPPER:
            self.add_start(i + 2)

    def period(self, i: int, f: int) -> int:
        """A '.' token or a word ending in '.' at i. Returns the last token consumed."""
        flags, spaces, n = self.flags, self.spaces, self.n
        if f & ABBR_DOT:
            w = i
            cls = f >> W_SHIFT
        elif i > 0 and not spaces[i - 1] and not flags[i - 1] & SPACE:
            w = i - 1
            cls = flags[w] >> W_SHIFT
            if cls == W_PUNCT and w > 0 and not spaces[w - 1] and not flags[w - 1] & SPACE:
                # "N°." -- a symbol glued to the word in front of it
                cls = self.seg.word_class(self.text(w - 1) + self.text(w))
        else:
            return self.spaced_dots(i)
        # "compounds. . . . The": the sentence ends at the first period, the ellipsis opens the next one.
        if f & PERIOD and i + 3 < n and flags[i + 1] & PERIOD and spaces[i]:
            run_end = self.dot_run_end(i + 1)
            m = self.next_word(run_end + 1)
            if run_end - i == 3 and m < n and flags[m] & BREAK_NEXT and not (
                    flags[run_end + 1] & CLOSER and not spaces[run_end]):
                self.add_start(i + 1)
                return run_end
            self.end_after(run_end)
            return run_end
        if w in self.list_items:
            pass
        elif cls == W_PLAIN or cls == W_PUNCT:
            self.end_after(i)
        elif cls == W_NO_BREAK:
            pass
        elif cls == W_NUMBER_ABBR:
            m = self.next_word(i + 1)
            if m < n and not flags[m] & DIGIT:
                self.end_after(i)
        elif cls == W_MONTH:
            m = self.next_word(i + 1)
            if m < n and not flags[m] & DIGIT:
                self.end_after(i, strict=True)
        elif cls == W_GENERAL:
            self.end_after(i, strict=True)
        elif cls == W_TIME:
            m = self.next_word(i + 1)
            if m < n and flags[m] & UPPER and not flags[m] & TIME_FOLLOW:
                start = self.starts[-1] if self.starts else 0
                if not (flags[start] & PREP and w - start <= 3):
                    self.end_after(i)
        elif cls == W_INITIAL:
            prev = w - 1
            while prev >= 0 and flags[prev] & (SPACE | OPENER):
                prev -= 1
            if prev < 0 or not flags[prev] & UPPER or self.at_item_start(w):
                self.end_after(i, strict=True)
        elif cls == W_LETTER or cls == W_NUMBER:
            if not self.at_item_start(w):
                if cls == W_NUMBER:
                    self.end_after(i)
                else:
                    self.end_after(i, strict=True)
        return i

    def dot_run_end(self, j: int) -> int:
        """Last token of a run of '.' tokens starting at j."""
        flags, n = self.flags, self.n
        while j + 1 < n and flags[j + 1] & PERIOD:
            j += 1
        return j

    def spaced_dots(self, i: int) -> int:
        """A '.' with a space in front: '. . .' is an ellipsis, '. . . .' ends a sentence."""
        end = self.dot_run_end(i)
        if end - i + 1 != 3:
            self.end_after(end)
        return end

    # ------------------------------------------------------------ skipping

    def mark_skipped(self, result: Segmentation) -> None:
        """Find the segments that carry no claim.

        Only lines (whole paragraphs), split-off credits/datelines and very short segments can
        be skipped, so only those are looked at.
        """
        flags, n = self.flags, self.n
        starts = result.starts
        count = len(starts)
        bounds = starts[1:]
        bounds.append(n)
        para_set = set(self.para_starts)
        check: dict[int, bool] = {}  # sentence index -> is a whole line
        for p in self.para_starts:
            si = bisect_right(starts, p) - 1
            if starts[si] == p or si == 0:
                if bounds[si] == n or bounds[si] in para_set:
                    check[si] = True
        for p in self.inline_split:
            si = bisect_right(starts, p) - 1
            if si + 1 < count:
                check.setdefault(si + 1, False)
                check[si] = False
        seg = self.seg
        skipped = result.skipped
        # a very short segment inside a line is only ever "empty" ('"' left over between sentences)
        for si in compress(range(count), [b - a <= 3 for a, b in zip(starts, bounds)]):
            if si not in check:
                if all(flags[k] & (PUNCT | SPACE) for k in range(starts[si], bounds[si])):
                    skipped[si] = "empty"
        if not check:
            return
        limit = seg.cfg["max_skip_tokens"]
        first_para = self.para_starts[0] if self.para_starts else 0
        max_heading_words = seg.cfg["max_heading_words"]
        spaces = self.spaces
        for si, whole_line in check.items():
            s, e = starts[si], bounds[si]
            if e - s > limit:
                continue
            last = e - 1
            while last > s and flags[last] & SPACE:
                last -= 1
            fl = flags[last]
            sentence = bool(fl & (PERIOD | TERM | ELLIPSIS) or (
                fl & QUOTE and last > s and flags[last - 1] & (PERIOD | TERM | ELLIPSIS)))
            first = s
            while first < e and flags[first] & SPACE:
                first += 1
            f0 = flags[first]
            first_line = whole_line and (si == 0 or s == first_para)
            if not sentence and f0 & UPPER and not f0 & (SKIP_FIRST | DATEWORD):
                # Prose (a headline, a line without final punctuation) unless it has a mark that
                # datelines, credits and bylines need (see skip_patterns.json): no pattern can
                # match it, only the heading rule applies.
                for k in range(first + 1, last + 1):
                    if flags[k] & NOT_PROSE:
                        break
                else:
                    if whole_line and not first_line and sum(spaces[first:last]) < max_heading_words:
                        skipped[si] = "section heading"
                    continue
            elif not sentence and f0 & DATEWORD:
                # "Wednesday, May 23, 2012": date words, numbers and commas only
                if all(flags[k] & (DATEWORD | DIGIT | COMMA | SPACE) for k in range(first, last + 1)):
                    if any(flags[k] & DIGIT for k in range(first, last + 1)):
                        skipped[si] = "dateline"
                        continue
            if sentence:
                # cue words mark short lines only ("VOA's David Gollust reports from the State Department.")
                if not flags[first] & SKIP_OPENER and (
                        e - first > 14 or not any(flags[k] & SKIP_CUE for k in range(first, e))):
                    continue
            reason = seg.skip_reason(self.text_of(s, e), first_line=first_line, sentence=sentence)
            if reason is not None and (whole_line or reason != "section heading"):
                skipped[si] = reason

    # -------------------------------------------------------------- quotes

    def assign_quotes(self, result: Segmentation) -> None:
        """Which quotations hold whole sentences, and where their speaker tags are."""
        flags, n = self.flags, self.n
        starts = result.starts
        count = len(starts)
        max_tag = self.seg.cfg["max_tag_tokens"]
        speech: list[int] = []
        trim_flags = PUNCT | SPACE

        def trim(a: int, b: int) -> tuple[int, int] | None:
            """The token range [a, b) without punctuation and whitespace at either end."""
            while a < b and flags[a] & trim_flags:
                a += 1
            while b > a and flags[b - 1] & trim_flags:
                b -= 1
            return (a, b) if a < b else None

        def spoken(r: tuple[int, int]) -> bool:
            """A reporting verb ("said", "told", "according") among the tokens of r."""
            if not speech:
                speech.extend((self.flag_array & SPEECH).nonzero()[0].tolist() or [n])
            k = bisect_left(speech, r[0])
            return k < len(speech) and speech[k] < r[1]

        # A quotation holds sentences when it runs over a sentence boundary, or fills its
        # sentence apart from a speaker tag ('"...," the source said.' / 'He said, "..."').
        direct: list[tuple[_Quote, int, int, int]] = []  # quote, first and last sentence, tag search start
        closes = self.closes  # every closing mark, quoted phrases included
        for q in self.quotes:
            so = bisect_right(starts, q.open) - 1
            sl = so if so + 1 == count or q.last < starts[so + 1] else bisect_right(starts, q.last) - 1
            # the text before the quotation, back to its sentence start or the previous quotation
            lead_from = starts[so]
            k = bisect_left(closes, q.open) - 1
            if k >= 0 and closes[k] >= lead_from:
                lead_from = closes[k] + 1
            if so == sl and q.open > lead_from and not flags[q.open - 1] & trim_flags:
                continue  # a word right before it: '... redesignated as "garrison areas."'
            if so == sl:
                lead = trim(lead_from, q.open)
                rest = trim(q.last + 1, starts[so + 1] if so + 1 < count else n)
                if lead is None:
                    inner_end = q.close is None or flags[q.close - 1] & (PERIOD | TERM | ELLIPSIS | COMMA | ABBR_DOT)
                    if not inner_end and rest is not None:
                        continue  # '"Garrison areas" are ...': a quoted phrase
                elif rest is not None or not flags[q.open - 1] & COMMA or not spoken(lead):
                    continue  # '... redesignated as "garrison areas."': a partial quotation
            direct.append((q, so, sl, lead_from))

        groups: list[dict] = []
        previous: _Quote | None = None
        for q, so, sl, lead_from in direct:
            tag = None
            if q.close is not None:  # '"...," the source said.'
                end = starts[sl + 1] if sl + 1 < count else n
                stop = q.close + 1
                while stop < end and not flags[stop] & QUOTE:
                    stop += 1
                rest = trim(q.close + 1, stop)
                if rest and rest[1] - rest[0] <= max_tag and spoken(rest):
                    tag = rest
            if tag is None and q.open > lead_from:  # 'He said, "..."'
                lead = trim(lead_from, q.open)
                if lead and lead[1] - lead[0] <= 2 * max_tag and spoken(lead):
                    tag = lead
            if (previous is not None and previous.close is None and previous.paragraph == q.paragraph - 1
                    and q.open == self.para_start_of(q.open)):
                # a quotation continued in the next paragraph: one quotation, one speaker
                q.group = previous.group
                group = groups[q.group]
                if group["tag"] is None:
                    group["tag"] = tag
            else:
                if tag is None and groups:
                    # '"...," said Mohib. / "They represent ..."': an untagged quotation in the very
                    # next sentence (or paragraph) goes on with the same speaker
                    last_group = groups[-1]
                    if last_group["tag"] is not None and last_group["last_sent"] >= so - 1:
                        tag = last_group["tag"]
                if tag is None and so > 0:  # 'He said:' / '"..."' in the next sentence
                    body = trim(starts[so - 1], starts[so])
                    if body is not None:
                        b = starts[so] - 1
                        while b > body[0] and flags[b] & SPACE:
                            b -= 1
                        if flags[b] & COLON and spoken(body):
                            tag = body
                q.group = len(groups)
                groups.append({"tag": tag, "first": q.open})
                group = groups[-1]
            group["last"] = q.last
            group["last_sent"] = sl
            sentence_quotes = result.sentence_quotes
            for si in range(so, sl + 1):
                if si not in sentence_quotes:
                    sentence_quotes[si] = q.group
            previous = q

        char, char_end = self.char, self.char_end
        for gid, group in enumerate(groups):
            tag = group["tag"]
            result.quotes.append({
                "id": gid,
                "start": char(group["first"]),
                "end": char_end(group["last"]),
                "speaker_tag": None if tag is None else {"start": char(tag[0]), "end": char_end(tag[1] - 1)},
            })

    def para_start_of(self, j: int) -> int:
        ps = self.para_starts
        k = bisect_right(ps, j) - 1
        return ps[k] if k >= 0 else 0


def _keys_ok() -> bool:
    """Does spaCy keep extension values in ``doc.user_data`` under ("._.", name, start_char, end_char)
    for spans and ("._.", name, None, None) for docs?"""
    from spacy.vocab import Vocab

    doc = Doc(Vocab(), words=["a", "b", "c"], spaces=[True, True, False])
    doc.user_data[("._.", "skipped", 2, 5)] = "probe"
    doc.user_data[("._.", "quotes", None, None)] = ["probe"]
    return Span(doc, 1, 3)._.skipped == "probe" and doc._.quotes == ["probe"]


_KEYS_OK = _keys_ok()
_DEFAULT_SEGMENTER: dict[str, NewsSegmenter] = {}


def skip_reason(text: str, *, first_line: bool = False) -> str | None:
    """Why a line of text is not a claim ("tag line", "dateline", ...), or None.

    Uses the packaged rule files; the pipeline component applies the same rules to the
    segments it finds.
    """
    seg = _DEFAULT_SEGMENTER.get("default")
    if seg is None:
        import spacy

        seg = _DEFAULT_SEGMENTER["default"] = NewsSegmenter(spacy.blank("en"))
    return seg.skip_reason(text, first_line=first_line)


@Language.factory(
    "claimlens_segmenter",
    default_config={
        "track_quotes": True,
        "single_quotes": True,
        "max_skip_tokens": 40,
        "max_heading_words": 4,
        "max_tag_tokens": 15,
        "data_dir": None,
    },
)
def make_segmenter(
    nlp: Language,  # noqa: ARG001 -- spaCy passes the pipeline under this name
    name: str,
    track_quotes: bool,
    single_quotes: bool,
    max_skip_tokens: int,
    max_heading_words: int,
    max_tag_tokens: int,
    data_dir: str | None,
) -> NewsSegmenter:
    return NewsSegmenter(
        nlp, name, track_quotes=track_quotes, single_quotes=single_quotes, max_skip_tokens=max_skip_tokens,
        max_heading_words=max_heading_words, max_tag_tokens=max_tag_tokens, data_dir=data_dir,
    )
