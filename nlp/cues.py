"""Find hedge and attribution cue words from the lexicon in ``resources/lexicons/cues.tsv``.

The cue finder is shared by the classifier's features, the rule baseline and the output
records, so a cue shown to a user is exactly a cue the model saw.
"""
from __future__ import annotations

import json
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from spacy.attrs import ENT_IOB, IDX, LENGTH
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from nlp.doc_strings import doc_text
from nlp.entities import IOB_BEGIN, IOB_INSIDE

LEXICON_PATH = Path(__file__).parent / "resources" / "lexicons" / "cues.tsv"
CONTEXT_PATH = Path(__file__).parent / "resources" / "lexicons" / "cue_context.json"

SPECULATION_CUES = frozenset({"hedge_modal", "hedge_verb", "hedge_adverb", "hedge_noun", "hedge_phrase"})
ATTRIBUTION_CUES = frozenset({"reporting_verb", "according_to", "evidential"})
CUE_TYPES = tuple(sorted(SPECULATION_CUES | ATTRIBUTION_CUES | {"negation"}))


@dataclass(frozen=True)
class Cue:
    text: str
    type: str
    start: int  # character offsets into doc.text
    end: int
    token_start: int  # token offsets into the doc
    token_end: int

    def as_record(self) -> dict:
        return {"text": self.text, "type": self.type, "start": self.start, "end": self.end}


def read_lexicon(path: Path = LEXICON_PATH) -> dict[str, str]:
    lexicon: dict[str, str] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            phrase, cue_type = line.split("\t")
            lexicon[phrase.lower()] = cue_type
    return lexicon


class CueFinder:
    """Matches the lexicon on a Doc; longest match wins where cues overlap."""

    def __init__(self, vocab: Vocab, lexicon: dict[str, str] | None = None):
        self.lexicon = read_lexicon() if lexicon is None else lexicon
        self.matcher = PhraseMatcher(vocab, attr="LOWER")
        # The tokenizer is the only thing needed to turn phrases into patterns; a bare
        # Doc from whitespace split matches how the blank English tokenizer splits these.
        for phrase, cue_type in self.lexicon.items():
            self.matcher.add(cue_type, [Doc(vocab, words=phrase.split())])

    def find(self, doc: Doc) -> list[Cue]:
        matches = self.matcher(doc)
        if not matches:
            return []
        # Longest first, then leftmost: "may have" beats "may".
        matches.sort(key=lambda m: (-(m[2] - m[1]), m[1]))
        # Token columns read once (no Token object per cue). A word inside a name is not a cue:
        # "United States", "Expected Value Fund"; the entity tokens come from the IOB column,
        # as ``doc.ents`` would build a Span per entity.
        columns = doc.to_array([ENT_IOB, IDX, LENGTH])
        iob = columns[:, 0]
        taken = ((iob == IOB_INSIDE) | (iob == IOB_BEGIN)).tolist()
        char_starts = columns[:, 1].tolist()
        char_ends = (columns[:, 1] + columns[:, 2]).tolist()
        text = doc_text(doc)
        strings = doc.vocab.strings
        cues = []
        for match_id, start, end in matches:
            if any(taken[start:end]):
                continue
            start_char, end_char = char_starts[start], char_ends[end - 1]
            cue_text = text[start_char:end_char]
            # Only "no" can be the numero sign and only "May" the month: the checks read tokens.
            if (cue_text == "May" or cue_text.lower() == "no") \
                    and (_is_numero(doc, start, end) or _is_month(doc, start, end)):
                continue
            for i in range(start, end):
                taken[i] = True
            cues.append(Cue(cue_text, strings[match_id], start_char, end_char, start, end))
        cues.sort(key=lambda c: c.token_start)
        return cues


def _is_numero(doc: Doc, start: int, end: int) -> bool:
    """"No. 47" is the numero sign, not a negation: a lone "no" followed by "." and a number."""
    return (
        end - start == 1
        and doc[start].lower_ == "no"
        and end + 1 < len(doc)
        and doc[end].text == "."
        and doc[end + 1].like_num
    )


@lru_cache(maxsize=1)
def cue_context() -> dict[str, frozenset[str]]:
    """The closed-class word lists of ``resources/lexicons/cue_context.json``."""
    data = json.loads(CONTEXT_PATH.read_text(encoding="utf-8"))
    return {key: frozenset(words) for key, words in data.items() if not key.startswith("_")}


def _is_month(doc: Doc, start: int, end: int) -> bool:
    """"May" the month, not the modal: capitalised and followed by a number ("May 31", "May 2001"),
    or after a lower-case preposition ("in May", "since  May"). A title-case headline keeps its
    modal: "Kim May Visit Russia", "Stocks Slide And May Fall"."""
    if end - start != 1 or doc[start].text != "May":
        return False
    if end < len(doc) and doc[end].like_num:
        return True
    before = start - 1
    while before >= 0 and doc[before].is_space:
        before -= 1
    if before < 0:
        return False
    previous = doc[before]
    # Lower case, or capitalised only because it opens the sentence ("In May, ...").
    written = previous.text if not previous.is_sent_start else previous.lower_
    return written in cue_context()["before_month"]


def cues_in(span: Span, cues: list[Cue]) -> list[Cue]:
    return [c for c in cues if c.token_start >= span.start and c.token_end <= span.end]


def cues_by_span(spans: list[Span], cues: list[Cue]) -> list[list[Cue]]:
    """``[cues_in(span, cues) for span in spans]``, without scanning every cue for every span."""
    starts = [c.token_start for c in cues]
    if any(a > b for a, b in zip(starts, starts[1:])):  # not in CueFinder.find's order
        return [cues_in(span, cues) for span in spans]
    found = []
    for span in spans:
        start, end = span.start, span.end
        i = bisect_left(starts, start)
        inside = []
        while i < len(cues) and starts[i] < end:
            if cues[i].token_end <= end:
                inside.append(cues[i])
            i += 1
        found.append(inside)
    return found


@lru_cache(maxsize=4)
def cue_finder_for(vocab: Vocab) -> CueFinder:
    return CueFinder(vocab)
