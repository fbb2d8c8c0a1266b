"""Source extraction: who does a sentence attribute its claim to, and what kind of source is it?

Factory ``claimlens_sources`` sets ``span._.source`` on every sentence::

    {"text", "type", "start", "end",       # the source phrase, char offsets into doc.text
     "id",                                 # normalised entity id when the source is an entity
     "cue": {"text", "start", "end"},      # the attribution cue that points at it
     "nested": [{"text", "type", "start", "end", "id"}],   # sources reported inside the claim
     "refers_to": {...}}                   # pronoun sources: the person it resolves to

or None when the sentence has no attribution cue with a recoverable source. Types follow the
label standard: named_person, organization, state_media, media, official_anonymous,
anonymous, document, public, and ``pronoun`` for an unresolved pronoun.

Rules, in order: the subject of a reporting or belief verb outside quotation marks (a tag after
the quote, "..., X said", wins because it governs the whole sentence); "according to X";
an interview speaker label ("Name: ..."); for a sentence inside a quotation, the speaker tag of
that quotation (``span._.quote["speaker_tag"]`` from the segmenter, else the tag found next to
the quotation in the same paragraph). The parser-free subject finder walks left from the verb
over adverbs, appositions and parentheses, then keeps the noun phrase's head (a listed entity,
a capitalised name or a known source noun) and a post-modifier such as "in North Korea".
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from functools import lru_cache
from pathlib import Path

from spacy.attrs import SENT_START
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.pipeline import Pipe
from spacy.tokens import Doc, Span

from nlp import extensions  # noqa: F401  (registers extensions)
from nlp.doc_strings import doc_text, lower_words, token_texts
from nlp.entities import RESOURCES, first_names, gender_of, read_lines, titles

LEXICONS = Path(__file__).parent / "resources" / "lexicons"

SOURCE_TYPES = ("named_person", "organization", "state_media", "media", "official_anonymous",
                "anonymous", "document", "public", "pronoun")
ENTITY_TO_SOURCE = {
    "person": "named_person", "government": "organization", "military": "organization",
    "agency": "organization", "party": "organization", "organization": "organization",
    "state_media": "state_media", "media": "media", "official_anonymous": "official_anonymous",
    "anonymous": "anonymous", "public": "public",
    # "North Korea stated ...": a place as speaker stands for its government.
    "country": "organization", "region": "organization", "city": "organization",
    "county": "organization", "facility": "organization",
}

_OPEN_QUOTES = {"“", "«", "„"}
_CLOSE_QUOTES = {"”", "»"}
_STRAIGHT = {'"', "''", "``"}
_DETERMINERS = {"a", "an", "the", "one", "another", "two", "three", "four", "several", "some", "many",
                "other", "multiple", "these", "those", "this", "that", "his", "her", "its", "their", "our",
                "most", "all", "both", "each"}
_SKIP_BEFORE_VERB = {"has", "have", "had", "also", "later", "previously", "recently", "further", "then",
                     "earlier", "today", "yesterday", "tonight", "now", "once", "again", "reportedly",
                     "allegedly", "publicly", "repeatedly", "separately", "subsequently", "initially",
                     "originally", "first", "would", "will", "did", "does", "do", "is", "was", "were",
                     "are", "had", "been", "being", "not", "never", "had", "already", "still", "just",
                     "even", "only", "openly", "privately", "officially", "formally", "flatly", "strongly",
                     "explicitly", "specifically", "simply", "quickly", "immediately", "finally", "too",
                     "herself", "himself", "themselves", "itself", "n't", "cautiously", "widely", "often",
                     "frequently", "generally", "correctly", "wrongly", "falsely", "erroneously", "rightly",
                     "humourously", "humorously", "jokingly", "angrily", "bluntly", "proudly", "openly"}
_PREPOSITIONS = {"in", "inside", "from", "within", "for", "at", "of", "with", "close", "near", "familiar",
                 "to", "on", "representing"}
_NP_STOP = {"that", "which", "who", "whom", "whose", "and", "but", "or", "while", "when", "whereas", "as",
            "if", "because", "after", "before", "since", "although", "though", "where", "so", "than",
            "what", "how", "why", "said", "says", "say", "told", "reported", "according", "by", "into",
            "there", "it", "is", "was", "are", "were", "be", "been", "to"}
_NOUN_MARKERS = {"a", "an", "the", "this", "these", "those", "his", "her", "its", "their", "our", "my", "your",
                 "in", "of", "with", "amid", "despite", "over", "about", "such", "any", "no", "new", "recent",
                 "further", "official", "media", "news", "press", "local", "unconfirmed", "initial", "early",
                 "latest", "first", "previous", "earlier", "similar", "conflicting", "growing", "to"}
_LOWER_TITLES = {"director", "president", "spokesman", "spokeswoman", "spokesperson", "chairman", "minister",
                 "secretary", "officer", "chief", "leader", "head", "expert", "professor", "analyst", "editor",
                 "founder", "ceo", "manager", "coach", "ambassador", "envoy", "official", "commander", "governor",
                 "mayor", "member", "lawyer", "attorney", "boss", "citizen", "resident", "student", "artist"}
_GROUP_NOUNS = {"team", "group", "panel", "number", "handful", "couple", "delegation", "body"}
_QUANTIFIERS = {"one", "some", "many", "most", "several", "all", "none", "two", "three", "few", "each", "both",
               "others", "half", "members", "majority", "none"}
_NAME_PARTICLES = {"al", "bin", "de", "van", "von", "la", "der", "da", "du", "di", "del", "ibn"}
_PASSIVE_AUX = {"was", "were", "is", "are", "be", "been", "being", "am"}
_PRONOUN_GENDER = {"he": "m", "him": "m", "she": "f", "her": "f"}
_PRONOUNS = {"him", "he", "she", "they", "i", "we", "it", "you"}
_PUBLIC_WORDS = {"many", "some", "others", "most", "few", "people", "percent", "%"}
_PARTICIPLES = {"made", "written", "seen", "given", "taken", "shown", "sent", "put", "held", "done"}
# A line that may open with a speaker label ("Andrew Bor: ..."); label_at decides.
_LABEL_LINE = re.compile(r"(?m)^[ \t]*[A-Z][^\n:]{0,60}:")
_OUTLET_VERBS = {"reported", "reports", "reporting"}
_NOUN_CUES = {"remarks", "comments", "claims", "reports", "demands", "requests", "thanks", "fears", "doubts",
              "estimates", "notes", "warnings", "statements"}
_DEGREE = {"most", "more", "less", "least", "very", "so", "too", "much"}
_CONTENT_PUNCT = {",", ";", ":", "(", ")", "—", "–", "-", "[", "]"}


@lru_cache(maxsize=1)
def cue_lexicon() -> dict[str, frozenset[str]]:
    """Verb cues by section: strong (any subject), weak (the subject must be a recognisable
    source), phrasal ("called on"), light verb + reporting noun ("issued a statement").
    The lead's cue lexicon (reporting verbs) is read as well as this component's list."""
    sections: dict[str, set[str]] = {"strong": set(), "weak": set(), "phrasal": set(), "light": set(),
                                     "light_nouns": set(), "inverting": set(), "negators": set()}
    cues = LEXICONS / "cues.tsv"
    if cues.exists():
        for line in read_lines(cues):
            phrase, _, kind = line.partition("\t")
            if kind.strip() == "reporting_verb":
                sections["phrasal" if " " in phrase else "strong"].add(phrase.lower())
    section = "strong"
    for line in read_lines(RESOURCES / "reporting_verbs.txt"):
        if line.startswith("["):
            section = line.strip("[]")
        else:
            sections.setdefault(section, set()).add(line.lower())
    sections["strong"] -= sections["weak"]
    return {name: frozenset(words) for name, words in sections.items()}


@lru_cache(maxsize=1)
def source_nouns() -> dict[str, str]:
    return dict(line.split("\t") for line in read_lines(RESOURCES / "source_nouns.tsv"))


@lru_cache(maxsize=1)
def turn_markers() -> dict[str, list[re.Pattern]]:
    sections: dict[str, list[re.Pattern]] = {"interviewer": [], "translation": []}
    section = "interviewer"
    for line in read_lines(RESOURCES / "turn_markers.txt"):
        if line.startswith("[") and line.endswith("]"):
            section = line.strip("[]")
        else:
            sections.setdefault(section, []).append(re.compile(line))
    return sections


@lru_cache(maxsize=1)
def org_words() -> dict[str, str]:
    return dict(line.split("\t") for line in read_lines(RESOURCES / "org_words.tsv"))


def quote_mask(doc: Doc, words: list[str] | None = None) -> list[bool]:
    """True for tokens inside double quotation marks. Curly quotes open and close explicitly;
    straight quotes toggle. A line break closes an unfinished quotation, because news
    paragraphs that continue a quotation open it again."""
    inside = [False] * len(doc)
    state = False
    paragraph = 0  # first token of the paragraph
    seen_mark = False  # a quotation mark earlier in this paragraph
    # Token strings sliced from the text: no Token object per word.
    for i, text in enumerate(words if words is not None else token_texts(doc)):
        if "\n" in text:
            state = False
            paragraph, seen_mark = i + 1, False
            continue
        if text in _OPEN_QUOTES:
            state, seen_mark = True, True
            continue
        if text in _CLOSE_QUOTES or text in _STRAIGHT:
            opens = text in _STRAIGHT and _straight_opens(doc, i, state)
            if not opens and not state and not seen_mark and _clearly_closes(doc, i):
                # A paragraph that continues a quotation without reopening it ('... said, "I
                # think ...\n\nIt was a very emotional day. ... better."'): it was quoted throughout.
                for k in range(paragraph, i):
                    inside[k] = not doc[k].is_space
            state, seen_mark = opens, True
            continue
        inside[i] = state
    return inside


def _clearly_closes(doc: Doc, i: int) -> bool:
    """A mark that ends a paragraph right after its final full stop ('... better."' + line end)."""
    if i == 0 or doc[i - 1].whitespace_ or doc[i - 1].text not in {".", "!", "?", "…"}:
        return False
    return i + 1 >= len(doc) or "\n" in doc[i + 1].text


class SourceExtractor(Pipe):  # Pipe.pipe: one doc at a time through __call__, with spaCy's error handler
    def __init__(self, pipeline: Language, name: str = "claimlens_sources", *, pronoun_window: int = 2):
        self.name = name
        self.pronoun_window = pronoun_window
        lexicon = cue_lexicon()
        self.strong, self.weak = lexicon["strong"], lexicon["weak"]
        self.phrasal = {tuple(p.split()) for p in lexicon["phrasal"]}
        self.phrasal_first = {p[0] for p in self.phrasal}
        self.light, self.light_nouns = lexicon["light"], lexicon["light_nouns"]
        self.inverting, self.negators = lexicon["inverting"], lexicon["negators"]
        # Words that can start a cue: every other word is passed over without a Token object.
        self.cue_starts = frozenset(self.strong) | frozenset(self.weak) | self.phrasal_first \
            | frozenset(self.light) | {"according", "by"}

    def __call__(self, doc: Doc) -> Doc:
        self.set_annotations(doc, self.predict(doc))
        return doc


    def predict(self, doc: Doc) -> list[tuple[Span, dict | None]]:
        context = DocContext(doc)
        results = []
        previous: dict | None = None
        previous_end = 0
        since = 0
        turns = self.interview_turns(context)
        markers = turn_markers()
        for sent in context.sentences():
            source = self.sentence_source(context, sent)
            turn = turns.get(sent.start)
            if turn is not None:
                source = self.in_turn(context, sent, source, turn)
            first = next((t for t in sent if not t.is_space), None)
            quoted = self.starts_in_quote(context, sent) or first is not None and (
                context.mask[first.i] or context.mask[min(first.i + 1, len(doc) - 1)]
                and (first.text in _OPEN_QUOTES or first.text in _STRAIGHT))
            same_paragraph = previous is not None and previous.get("via") == "speaker_label" and since == 0 \
                and "\n" not in context.text[previous_end:sent.start_char]
            translated = context.text.startswith("((", sent.start_char) and \
                any(m.match(context.text[sent.start_char:sent.start_char + 40]) for m in markers["translation"])
            if source is None and (quoted or same_paragraph or translated and since == 0) and previous is not None \
                    and since <= 3 \
                    and not sent._.skipped:
                # A quotation with no tag of its own continues the speaker quoted just before.
                source = dict(previous, nested=[], via="previous_speaker")
                source.pop("cue", None)
            if source is not None:
                previous, since = source, 0
            else:
                since += 1
            # End of the last word: the line break after a sentence is its trailing whitespace.
            previous_end = sent.start_char + len(context.text[sent.start_char:sent.end_char].rstrip())
            context.sources[sent.start] = source
            results.append((sent, source))
        return results

    def interview_turns(self, context: "DocContext") -> dict[int, Span]:
        """Sentence start -> the interviewee whose turn it is, for interview transcripts (see
        ``turn_markers.txt``); empty for other documents."""
        doc = context.doc
        if len(_LABEL_LINE.findall(context.text)) < 2:
            return {}  # cheap test first: most documents have no speaker labels at all
        markers = turn_markers()
        words = context.words  # token strings: no Token object per word of a long transcript
        paragraphs = []  # (first token, last token + 1, speaker label or None, interviewer?)
        start = 0
        for i in range(len(words) + 1):
            if i == len(words) or "\n" in words[i]:
                end = i
                while start < end and words[start].isspace():
                    start += 1
                if start < end:
                    text = doc[start:end].text
                    label = self.label_at(context, start, end)
                    interviewer = any(m.match(text) for m in markers["interviewer"])
                    paragraphs.append((start, end, label, interviewer))
                start = i + 1
        if sum(1 for p in paragraphs if p[2] is not None) < 2:
            return {}
        turns: dict[int, Span] = {}
        speaker = None
        sent_starts: list[int] | None = None
        for begin, end, label, interviewer in paragraphs:
            if label is not None:
                speaker = label
            elif interviewer or doc[begin:end].text.rstrip().endswith("?") \
                    or not doc[begin:end].text.rstrip().endswith((".", "!", "\"", "”", "’", "'")):
                speaker = None  # a question or a heading: the interviewee's turn is over
            if speaker is None:
                continue
            if sent_starts is None:
                sent_starts = context.sentence_starts()
            # the sentences starting inside the paragraph, then the one the paragraph starts in
            for k in range(bisect_left(sent_starts, begin), bisect_left(sent_starts, end)):
                turns[sent_starts[k]] = speaker
            turns.setdefault(sent_starts[bisect_right(sent_starts, begin) - 1], speaker)
        return turns

    def label_at(self, context: "DocContext", start: int, end: int) -> Span | None:
        """"Andrew Bor: ..." at ``start``: up to five capitalised words and a colon before ``end``."""
        doc, words = context.doc, context.words
        for k in range(start, min(end, start + 6)):
            if words[k] == ":":
                if k == start or context.mask[k]:
                    return None
                name = doc[start:k]
                if all(_capitalised(t) or t.is_punct and t.text in {".", "-"} or t.is_space for t in name) \
                        and _capitalised(name[0]) and name[0].lower_ not in _PRONOUNS:
                    return name
                return None
        return None

    def in_turn(self, context: "DocContext", sent: Span, source: dict | None, speaker: Span) -> dict | None:
        """In an interviewee's turn, the speaker is the turn's; a first-person "I" is that speaker."""
        if sent.end <= speaker.end + 1 and sent.start >= speaker.start - 1:
            return None  # the label itself ("Andrew Bor:") is no claim
        if source is not None and source.get("type") == "pronoun" and source["text"].lower() == "i":
            source = dict(source, type="named_person", id=None,
                          refers_to={"text": speaker.text, "start": speaker.start_char,
                                     "end": speaker.end_char, "id": None})
            return source
        if source is not None and source.get("via") == "speaker_label":
            return source
        # The whole answer is the interviewee's; a source it cites is nested in it.
        nested = list((source or {}).get("nested", []))
        if source is not None and source.get("type") != "pronoun":
            nested.insert(0, {k: source[k] for k in ("text", "type", "start", "end", "id") if k in source})
        result = self.describe(context, speaker, sent)
        result.update(via="interview_turn", nested=nested)
        return result

    def set_annotations(self, doc: Doc, results: list[tuple[Span, dict | None]]) -> None:
        for sent, source in results:
            sent._.source = source

    # -- one sentence ----------------------------------------------------------------------
    def sentence_source(self, context: "DocContext", sent: Span, quote: dict | None = None) -> dict | None:
        """Source of ``sent`` (any span of the doc). ``quote`` overrides ``sent._.quote``."""
        mask = context.mask
        found = self.cues_in(context, sent)
        outside = [f for f in found if not mask[f[1].i]]
        inside = [f for f in found if mask[f[1].i]]
        main = self.main_cue(context, sent, outside)
        speaker = None
        label = self.speaker_label(context, sent)
        if label is not None and (main is None or self.named_label(context, label)):
            main = (sent.start, "label", label)
        if main is None and (any(mask[sent.start:sent.end]) or self.starts_in_quote(context, sent)):
            speaker = self.quote_speaker(context, sent, quote if quote is not None else sent._.quote)
            if speaker is not None:
                main = (sent.start, speaker[0], speaker[1])
        if main is None:
            return None
        _, cue, subject = main
        result = self.describe(context, subject, sent, cue if cue not in (None, "label") else None)
        if cue == "label":
            result["via"] = "speaker_label"
        elif cue is not None:
            result["cue"] = {"text": cue.text, "start": cue.idx, "end": cue.idx + len(cue)}
        nested = []
        for _, _cue, other in outside + inside:
            if other.start_char == subject.start_char and other.end_char == subject.end_char:
                continue
            if context.source_kind(other) is None:
                continue
            item = self.describe(context, other, sent)
            item.pop("refers_to", None)
            nested.append(item)
        result["nested"] = nested
        return result

    def cues_in(self, context: "DocContext", sent: Span, allow_participles: bool = False) -> list[tuple]:
        """(position, cue token, subject span) for every attribution cue of the span."""
        doc = context.doc
        found = []
        lowers, cue_starts = context.lowers, self.cue_starts
        for i in range(sent.start, sent.end):
            lower = lowers[i]
            if lower not in cue_starts:
                continue
            token = doc[i]
            if lower == "according" and token.i + 1 < sent.end and lowers[token.i + 1] == "to":
                subject = self.object_after(context, token.i + 2, sent.end)
                if subject:
                    found.append((token.i, token, subject))
            elif lower in self.strong or lower in self.weak or self.is_phrasal_or_light(lowers, i, sent):
                # Participles ("..., saying", "adding that") belong to a subject named earlier.
                participle = lower.endswith("ing") and not context.progressive(token, sent)
                if participle and not allow_participles or context.ent_at(token.i) is not None \
                        or not context.verb_use(token, sent) or context.inside_name(token, sent) \
                        or self.negated(context, token, sent):
                    continue
                subject = self.subject_of(context, token, sent)
                if subject is None and participle:
                    subject = self.clause_subject(context, token, sent)
                if subject is None or not context.plausible_subject(subject, token):
                    continue
                if lower not in self.strong and context.source_kind(subject) is None:
                    continue
                found.append((token.i, token, subject))
            elif lower == "by" and token.i >= sent.start + 2 and doc[token.i - 1].lower_ in {"quoted", "cited"} \
                    and doc[token.i - 2].lower_ in _PASSIVE_AUX:
                subject = self.subject_of(context, doc[token.i - 2], sent)
                if subject is not None and context.plausible_subject(subject):
                    found.append((token.i, token, subject))
            elif lower == "by" and token.i > sent.start and (doc[token.i - 1].lower_ in self.strong
                                                              and doc[token.i - 1].lower_.endswith("ed")
                                                              or doc[token.i - 1].lower_ in self.light_nouns):
                subject = self.object_after(context, token.i + 1, sent.end)
                if subject and (doc[token.i - 1].lower_ not in self.light_nouns
                                or context.source_kind(subject) is not None and not subject[0].lower_.endswith("ing")):
                    found.append((token.i, token, subject))
        return found

    def negated(self, context: "DocContext", token, sent: Span) -> bool:
        """"has not yet commented", "declined to comment": a denied or refused report names no source."""
        doc = context.doc
        k = token.i - 1
        steps = 0
        while k >= sent.start and steps < 4:
            word = doc[k].lower_
            if word in self.negators:
                return not (k + 1 < len(doc) and doc[k + 1].lower_ == "only")
            if word == "to" and k > sent.start and doc[k - 1].lower_ in self.negators:
                return True
            if not (word in _SKIP_BEFORE_VERB or word == "yet" or doc[k].is_lower and word.endswith("ly")):
                return False
            k -= 1
            steps += 1
        return False

    def clause_subject(self, context: "DocContext", token, sent: Span) -> Span | None:
        """Subject of the clause a participle hangs on: the first source-like phrase of the span."""
        for ent in context.ents_in(sent.start, token.i):
            if ent.label_ == "ACTOR" and not context.mask[ent.start]:
                return ent
        first = next((t for t in sent if not t.is_punct and not t.is_space), None)
        if first is not None and first.lower_ in _PRONOUNS:
            return sent.doc[first.i:first.i + 1]
        return None

    def is_phrasal_or_light(self, lowers: list[str | None], i: int, sent: Span) -> bool:
        lower = lowers[i]
        if lower in self.phrasal_first and i + 1 < sent.end and (lower, lowers[i + 1]) in self.phrasal:
            return True
        if lower in self.light:
            return any(word in self.light_nouns for word in lowers[i + 1:min(sent.end, i + 5)])
        return False

    def main_cue(self, context: "DocContext", sent: Span, outside: list) -> tuple | None:
        if not outside:
            return None
        doc = context.doc
        # '..., said X, as quoted by Bernama': the relaying outlet is secondary to the speaker.
        relayed = [f for f in outside if f[1].lower_ == "by" and f[1].i >= sent.start + 2
                   and doc[f[1].i - 2].lower_ == "as"]
        if relayed and len(relayed) < len(outside):
            outside = [f for f in outside if f not in relayed]
        # "..., police said." / "“...,” the source said." governs everything before it.
        last_word = sent.end - 1
        while last_word > sent.start and (doc[last_word].is_punct or doc[last_word].is_space):
            last_word -= 1
        for item in reversed(outside):
            cue, subject = item[1], item[2]
            if last_word - max(cue.i, subject.end - 1) > 6:
                continue
            if subject.start > cue.i:
                return item
            before = doc[subject.start - 1] if subject.start > sent.start else None
            if before is not None and (before.text in {",", "—"} or before.text in _CLOSE_QUOTES
                                       or before.text in _STRAIGHT):
                return item
        return outside[0]

    def starts_in_quote(self, context: "DocContext", sent: Span) -> bool:
        first = sent[0]
        return first.i > 0 and context.mask[first.i - 1] and first.text not in _OPEN_QUOTES

    # -- subjects ---------------------------------------------------------------------------
    def subject_of(self, context: "DocContext", verb, sent: Span) -> Span | None:
        doc = context.doc
        quoted = context.mask[verb.i]
        i = verb.i - 1
        if i >= sent.start and (doc[i].text in {",", ":"} or doc[i].text in _CLOSE_QUOTES
                                or doc[i].text in _STRAIGHT):
            # Inverted tag ('..., said Leong.') when a short phrase after the verb ends the clause;
            # otherwise the comma closes an apposition ('Matsegora, Russia's ambassador, stated').
            after = self.object_after(context, verb.i + 1, sent.end, stop_at_verb=True) \
                if verb.lower_ in self.inverting and verb.i + 1 < sent.end \
                and doc[verb.i + 1].lower_ not in _PREPOSITIONS else None
            if after is not None and after[0].lower_ not in _PREPOSITIONS and after[0].lower_ not in _PRONOUNS \
                    and context.plausible_subject(after) \
                    and any(not (t.lower_ in _DETERMINERS or t.is_punct) for t in after) \
                    and (_ends_clause(doc, after.end, sent.end) or self.postmodifier_ends(context, after.end, sent.end)):
                return after
            if doc[i].text != ",":
                return None
        while i >= sent.start and (doc[i].lower_ in _SKIP_BEFORE_VERB or doc[i].is_lower and doc[i].text.endswith("ly")
                                   and len(doc[i]) > 4):
            i -= 1
        if i < sent.start:
            return None
        if doc[i].lower_ == "who" and i - 1 >= sent.start and doc[i - 1].text == ",":
            i -= 1
        if doc[i].text == ",":
            comma = i
            j = self.skip_apposition(context, comma, sent)
            if j is None:
                # 'Lydia Buchtmann for Food Standards Australia, says': no opening comma.
                return self.np_ending_at(context, comma - 1, sent, quoted) if comma > sent.start else None
            before = self.np_ending_at(context, j, sent, quoted)
            # "Cynthia Thompson, curator ... at the University of Arkansas, Fayetteville, said":
            # several commas; the name usually opens the first segment.
            segments = 0
            k = j
            while before is not None and not context.is_named(before) and segments < 3:
                prev_comma = self.skip_apposition(context, k + 1, sent)
                if prev_comma is None:
                    break
                candidate = self.np_ending_at(context, prev_comma, sent, quoted)
                segments += 1
                k = prev_comma
                if candidate is not None and context.is_named(candidate):
                    before = candidate
                    break
            appositive = [e for e in context.ents_in(j + 2, comma) if e._.entity_type == "person"]
            # 'the current Pope, Pope Francis, described': the apposition carries the name.
            if appositive and (before is None or context.source_kind(before) not in (("named_person", None),)
                               and not any(e._.entity_type == "person" for e in context.ents_in(before.start, before.end))):
                return appositive[-1]
            return before
        return self.np_ending_at(context, i, sent, quoted)

    def postmodifier_ends(self, context: "DocContext", begin: int, limit: int) -> bool:
        """'..., said the post by an unknown author on pigmy.': a prepositional post-modifier
        (no verb, no quotation) runs to the end of the clause."""
        doc = context.doc
        if begin >= limit or doc[begin].lower_ not in (_PREPOSITIONS - {"to"}) | {"by"}:
            return False
        k = begin
        while k < limit and k - begin <= 10:
            tok = doc[k]
            if tok.is_quote or context.mask[k] or tok.lower_ in self.strong or tok.lower_ in {"that", "who", "which"}:
                return False
            if tok.text in {".", ",", ";", "!", "?", ":"} or tok.is_space:
                return True
            k += 1
        return k >= limit

    def skip_apposition(self, context: "DocContext", comma: int, sent: Span) -> int | None:
        """Index of the token before the comma that opens an apposition ending at ``comma``."""
        doc = context.doc
        k = comma - 1
        while k >= sent.start and comma - k <= 25:
            if doc[k].text == ",":
                return k - 1 if k - 1 >= sent.start else None
            if context.mask[k] or doc[k].text in _CLOSE_QUOTES:
                return None
            k -= 1
        return None

    def np_ending_at(self, context: "DocContext", end_i: int, sent: Span, quoted: bool = False) -> Span | None:
        doc = context.doc
        i = end_i
        if doc[i].text == ")":  # "The Korean Central News Agency (KCNA) reported"
            k = i
            while k > sent.start and doc[k].text != "(":
                k -= 1
            if doc[k].text == "(" and i - k <= 6:
                i = k - 1
        if i < sent.start or context.mask[i] != quoted:
            return None
        token = doc[i]
        if token.is_punct and token.text not in {"%", "."}:
            return None
        if token.lower_ in _PRONOUNS:
            return doc[i:i + 1]
        # Walk left over the noun phrase, jumping over whole entities.
        start = i + 1
        k = i
        while k >= sent.start:
            ent = context.ent_at(k)
            if ent is not None:
                start = ent.start
                k = ent.start - 1
                continue
            tok = doc[k]
            if context.mask[k] != quoted or tok.text in _OPEN_QUOTES or tok.text in _CLOSE_QUOTES \
                    or tok.text in _STRAIGHT:
                break
            if tok.is_punct and tok.text not in {"-", "’s", "'s", ".", "&", "%"}:
                break
            if tok.lower_ in _NP_STOP or tok.is_lower and tok.lower_.endswith("ed") and tok.lower_ in self.strong:
                break
            if tok.like_num and k < i and not _is_percent_subject(doc, k, i):
                start = k
                k -= 1
                continue
            start = k
            k -= 1
        if start > i:
            return None
        window = doc[start:i + 1]
        return self.trim_subject(context, window)

    def object_after(self, context: "DocContext", begin: int, limit: int, stop_at_verb: bool = False) -> Span | None:
        """The noun phrase starting at ``begin`` ("according to X", "said X")."""
        doc = context.doc
        k = begin
        while k < limit and doc[k].lower_ in _SKIP_BEFORE_VERB:
            k += 1
        if k >= limit:
            return None
        end = k
        while end < limit:
            ent = context.ent_at(end)
            if ent is not None:
                end = ent.end
                continue
            tok = doc[end]
            if context.mask[end] or tok.is_quote or (tok.is_punct and tok.text not in {"-", "’s", "'s", "&", "."}):
                break
            if tok.text == "." and (end + 1 >= limit or doc[end + 1].is_space):
                break
            if tok.lower_ in _NP_STOP or (stop_at_verb and tok.is_lower and tok.lower_ in self.strong):
                break
            if end > k and tok.lower_ in {"the", "a", "an", "this", "that", "last", "next"} and doc[end - 1].is_alpha \
                    and doc[end - 1].lower_ not in _DETERMINERS | _PREPOSITIONS | {"and", "&"}:
                break  # "by his family the following morning"
            if end > k and tok.is_lower and tok.lower_.endswith("ing") and _capitalised(doc[end - 1]) \
                    and end + 1 < limit and doc[end + 1].lower_ in _PREPOSITIONS | _DETERMINERS:
                break  # "by Fox 32 Chicago responding to ..."
            if end > k + 1 and tok.is_lower and (tok.lower_.endswith("ed") or tok.lower_ in _PARTICIPLES) \
                    and doc[end - 1].is_alpha and doc[end - 1].lower_ not in _DETERMINERS:
                break  # "an Internet posting made ... ago": a participial post-modifier
            end += 1
        if end <= k:
            return None
        return self.trim_subject(context, doc[k:end])

    def trim_subject(self, context: "DocContext", window: Span) -> Span | None:
        """Keep the source phrase of a subject window: its head plus an identifying post-modifier."""
        doc = context.doc
        if len(window) == 0:
            return None
        # "Governor of Washington Chris Gregoire", "director of the chapter ... Alia Salem".
        people = [e for e in context.ents_in(window.start, window.end) if e._.entity_type == "person"]
        if people and people[-1].end == window.end:
            # "A spokesman for ... Chairman Tom Lantos", "an advisor to Sen. X": an unnamed person
            # who speaks for the named one (indefinite head + preposition before the name).
            head = window[0]
            if head.lower_ in {"a", "an", "one", "another"} and people[-1].start > window.start + 2:
                for tok in doc[window.start + 1:people[-1].start]:
                    if tok.lower_ in _PREPOSITIONS:
                        if tok.i > window.start + 1 and doc[tok.i - 1].lower_ in source_nouns():
                            return window
                        break
            return people[-1]
        # Split at the first preposition outside an entity: "A source | in North Korea".
        split = None
        for tok in window:
            if tok.lower_ in _PREPOSITIONS and context.ent_at(tok.i) is None and tok.i > window.start:
                split = tok.i
                break
        pre = doc[window.start:split] if split is not None else window
        if split is not None and doc[split].lower_ == "of" and len(pre) == 1 and pre[0].lower_ in _QUANTIFIERS:
            return window  # "One of the children", "Some of the residents"
        # A later determiner starts the noun phrase ("Speaking on Monday the minister").
        for tok in reversed(list(pre)):
            if tok.lower_ in _DETERMINERS and tok.i > pre.start and context.ent_at(tok.i) is None:
                pre = doc[tok.i:pre.end]
                break
        named = self.named_head(context, pre)
        if named is not None:
            return named
        if split is not None and self.is_generic_head(context, pre):
            pp_end = window.end
            # Keep "in North Korea", "for the ministry"; stop before a second preposition.
            for tok in doc[split + 1:window.end]:
                if tok.lower_ in _PREPOSITIONS and context.ent_at(tok.i) is None and tok.lower_ not in ("of",):
                    pp_end = tok.i
                    break
            # "the ministry in a statement": an adverbial phrase, not part of the source.
            if any(t.lower_ in self.light_nouns for t in doc[split + 1:pp_end]):
                pp_end = split
            return doc[pre.start:pp_end]
        return pre

    def named_head(self, context: "DocContext", pre: Span) -> Span | None:
        """The last named actor of the phrase ("Japanese news agency Kyodo" -> "Kyodo"),
        or the last capitalised name, without the titles in front of it."""
        doc = context.doc
        actors = [e for e in context.ents_in(pre.start, pre.end) if e.label_ == "ACTOR"
                  and e._.entity_type not in ("anonymous", "official_anonymous", "public")]
        places = [e for e in context.ents_in(pre.start, pre.end) if e.label_ == "PLACE"]
        if actors:
            ent = actors[-1]
            # Only the head: a named actor followed by a plain noun is a modifier ("KCNA report").
            tail = [t for t in doc[ent.end:pre.end] if not t.is_punct]
            if not tail or all(t.text[:1].isupper() for t in tail):
                if ent.start > pre.start and doc[ent.start - 1].lower_ == "the" and ent._.entity_type != "person":
                    return doc[ent.start - 1:ent.end]
                return ent
        # Capitalised run at the end of the phrase, minus titles and demonyms.
        end = pre.end
        while end > pre.start and doc[end - 1].is_punct:
            end -= 1
        start = end
        while start > pre.start and (_capitalised(doc[start - 1]) or doc[start - 1].lower_ in {"-", "al", "bin", "de",
                                                                                           "van", "von", "la"}
                                     or doc[start - 1].text in {"'s", "’s"} and start - 2 >= pre.start
                                     and _capitalised(doc[start - 2])):
            start -= 1
        if start < end and doc[start].text == "-":
            start += 1
        # Title words in lower case before the name ("director General X") also mark it.
        for k in range(end - 1, start, -1):
            if doc[k].lower_ in _LOWER_TITLES:
                start = k + 1
                break
        title_words = titles()
        # Cut after the last title word ("Civil Defense Authority director General Suleiman al-Amr").
        for k in range(end - 1, start - 1, -1):
            if doc[k].text in title_words and k + 1 < end:
                start = k + 1
                break
        while start < end and (doc[start].lower_ in _DETERMINERS or doc[start].lower_ in _QUANTIFIERS):
            start += 1
        if start < end and not all(context.ent_at(k) is not None for k in range(start, end)):
            return doc[start:end]
        if places and places[-1].end == end and len(pre) <= 3 and places[-1].start == pre.start:
            return places[-1]
        return None

    def is_generic_head(self, context: "DocContext", pre: Span) -> bool:
        last = pre[-1]
        ent = context.ent_at(last.i)
        if ent is not None and ent.label_ == "ACTOR":
            return True
        return last.lower_ in source_nouns()

    def named_label(self, context: "DocContext", label: Span) -> bool:
        """"BBC: aid 'siphoned off' according to rebels": a label that is a listed outlet or
        organisation heads the sentence whatever the sentence cites."""
        ents = context.ents_in(label.start, label.end)
        return len(ents) == 1 and (ents[0].start, ents[0].end) == (label.start, label.end) \
            and ents[0].label_ == "ACTOR" and ents[0]._.entity_type not in ("person", "anonymous", "public")

    def speaker_label(self, context: "DocContext", sent: Span) -> Span | None:
        """Interview transcripts: "Andrew Bor: The goal is Sochi, yes." -- a label with words after it."""
        return self.label_at(context, sent.start, sent.end - 1)

    def quote_speaker(self, context: "DocContext", sent: Span, quote: dict | None) -> tuple | None:
        doc = context.doc
        tag = (quote or {}).get("speaker_tag") if isinstance(quote, dict) else None
        if tag and self.tag_belongs(context, sent, quote, tag):
            region = doc.char_span(tag["start"], tag["end"], alignment_mode="expand")
            if region is not None:
                # '..., said X': the comma and closing mark before an inverted tag belong to it.
                begin = region.start
                while begin > region.start - 2 and begin > 0 and (doc[begin - 1].is_punct or doc[begin - 1].is_quote) \
                        and "\n" not in doc[begin - 1].text:
                    begin -= 1
                region = doc[begin:region.end]
                found = self.source_in_region(context, region)
                if found is not None:
                    return found
        return context.paragraph_speaker(self, sent)

    def tag_belongs(self, context: "DocContext", sent: Span, quote: dict | None, tag: dict) -> bool:
        """A tag before the quotation's opening must be in the same paragraph ('X said: "...'):
        one that ends an earlier paragraph belongs to an earlier quotation."""
        opening = context.quotes_by_id().get((quote or {}).get("id"), {}).get("start", sent.start_char)
        if tag["end"] <= opening:
            return "\n" not in context.text[tag["end"]:opening]
        return True

    def source_in_region(self, context: "DocContext", region: Span) -> tuple | None:
        """The speaker named in a quotation's tag ("the source said", "X released a statement
        saying", "He described his experiences")."""
        found = self.cues_in(context, region, allow_participles=True)
        outside = [f for f in found if not context.mask[f[1].i]]
        if outside:
            return outside[0][1], outside[0][2]
        actors = [e for e in context.ents_in(region.start, region.end) if e.label_ == "ACTOR"
                  and not context.mask[e.start]]
        if actors:
            return None, actors[0]
        first = next((t for t in region if not t.is_punct and not t.is_space), None)
        # "It is noted on ... that": an expletive "it" is never a speaker.
        if first is not None and first.lower_ in _PRONOUNS and first.lower_ != "it" and not context.mask[first.i]:
            return None, region.doc[first.i:first.i + 1]
        return None

    # -- typing -----------------------------------------------------------------------------
    def describe(self, context: "DocContext", subject: Span, sent: Span, cue=None) -> dict:
        kind, ident = context.source_kind(subject) or ("anonymous", None)
        if kind == "named_person":
            # "football club Paris Saint-Germain": the noun before a name says what it names.
            descriptor = context.descriptor_type(subject)
            if descriptor is not None:
                kind, ident = descriptor[0], ident
            elif cue is not None and cue.lower_ in _OUTLET_VERBS and context.unknown_single_name(subject):
                kind = "media"  # "Hürriyet reported that": a one-word name that only reports
        result = {"text": subject.text, "type": kind, "start": subject.start_char,
                  "end": subject.end_char, "id": ident}
        if kind == "pronoun":
            ref = context.resolve_pronoun(subject, self.pronoun_window)
            if ref is not None:
                result["type"] = "named_person"
                result["id"] = ref.ent_id_ or None
                result["refers_to"] = {"text": ref.text, "start": ref.start_char, "end": ref.end_char,
                                       "id": ref.ent_id_ or None}
        return result


class DocContext:
    """Per-document lookups shared by the sentences of one doc."""

    def __init__(self, doc: Doc):
        self.doc = doc
        self.text = doc_text(doc)  # Doc.text joins the tokens on every access: built once per doc, shared
        self.words = token_texts(doc)
        self.lowers = lower_words(doc)  # None for whitespace tokens, which are no cue words
        self.mask = quote_mask(doc, self.words)
        self.ents = list(doc.ents)
        self.ent_index: dict[int, Span] = {}
        for ent in self.ents:
            for k in range(ent.start, ent.end):
                self.ent_index[k] = ent
        self._paragraph_cache: dict[int, tuple | None] = {}
        self.sources: dict[int, dict | None] = {}
        # Words the document writes in lower case: a sentence-initial "Earmarks" is then a noun.
        self._quotes: dict[int, dict] | None = None
        self._ent_starts: list[int] | None = None
        self._name_ends: set[str] | None = None
        self._sentences: list[Span] | None = None
        self._sentence_starts: list[int] = []
        self.lower_words = {w for w in self.words if w.islower()}

    def sentences(self) -> list[Span]:
        # Doc.sents scans every token for sentence annotation on each call: list them once.
        if self._sentences is None:
            self._sentences = list(self.doc.sents)
            self._sentence_starts = [sent.start for sent in self._sentences]
        return self._sentences

    def sentence_starts(self) -> list[int]:
        self.sentences()
        return self._sentence_starts

    def quotes_by_id(self) -> dict[int, dict]:
        if self._quotes is None:
            self._quotes = {q["id"]: q for q in (self.doc._.quotes or [])}
        return self._quotes

    def inside_name(self, token, sent: Span) -> bool:
        """"Tsunami Warning Center", "Daily Reports": a capitalised cue word inside a name
        (not opening the sentence, a quotation or a clause) is not a verb."""
        if not token.text[:1].isupper() or token.i == sent.start:
            return False
        prev = self.doc[token.i - 1]
        if prev.is_quote or prev.is_space or prev.text in {":", "—", "–", "-", "(", "“", "‘"}:
            return False
        return True

    def ent_at(self, i: int) -> Span | None:
        return self.ent_index.get(i)

    def ents_in(self, start: int, end: int) -> list[Span]:
        # doc.ents are sorted and never overlap, so their ends are sorted too: the entities inside
        # [start, end) are a run starting at the first entity that starts at or after ``start``.
        if self._ent_starts is None:
            self._ent_starts = [e.start for e in self.ents]
        i = bisect_left(self._ent_starts, start)
        found = []
        while i < len(self.ents) and self.ents[i].end <= end:
            found.append(self.ents[i])
            i += 1
        return found

    def verb_use(self, token, sent: Span) -> bool:
        """False for noun uses ("a warning", "in remarks") and passives ("were reported
        killed"), whose grammatical subject is not the source."""
        if token.i == sent.start:
            return False
        prev = self.doc[token.i - 1]
        past = token.lower_.endswith("ed") or token.lower_ in {"said", "told", "wrote", "thought", "spoke"}
        if not past and prev.lower_ in _NOUN_MARKERS and (prev.is_lower or prev.lower_ in _DETERMINERS or prev.lower_ in
                                             {"in", "of", "with", "to"}):
            return False
        if token.lower_ in _NOUN_CUES and token.i - 2 >= sent.start and prev.is_lower \
                and self.doc[token.i - 2].lower_ in {"his", "her", "their", "its", "our", "my", "your"}:
            return False  # "her opening remarks"
        if prev.text in {"'s", "’s"} and not past:
            return False  # "the policeman's report"
        if prev.lower_ in _DEGREE and token.i + 1 < sent.end and not self.doc[token.i + 1].is_punct \
                and self.doc[token.i + 1].lower_ not in {"that", "by", "to", "on", "in"}:
            return False  # "his most pointed arguments": an adjective
        k = token.i - 1
        while k > sent.start and self.doc[k].is_lower and (self.doc[k].text.endswith("ly")
                                                           or self.doc[k].lower_ in {"also", "not", "never", "later"}):
            k -= 1
        aux = self.doc[k].lower_
        if aux in _PASSIVE_AUX and (token.lower_.endswith("ed") or token.lower_ in {"told", "said", "thought", "shown"}):
            return False  # the agent, if any, comes with "by" and is found there
        return True

    def progressive(self, token, sent: Span) -> bool:
        """"are cautiously speculating": an -ing cue after a form of *be* is a finite verb."""
        k = token.i - 1
        while k > sent.start and self.doc[k].is_lower and self.doc[k].text.endswith("ly"):
            k -= 1
        return k >= sent.start and self.doc[k].lower_ in {"is", "are", "was", "were", "been", "be", "am", "'s", "’s",
                                                          "'re", "’re"}

    def is_named(self, span: Span) -> bool:
        kind = self.source_kind(span)
        return kind is not None and kind[0] in ("named_person", "organization", "state_media", "media")

    def plausible_subject(self, span: Span, cue=None) -> bool:
        """Reject phrases that cannot be a speaker: a lone lower-case word that is no source noun
        ("reflecting"), or a lone capitalised opener that is a function word or participle
        ("Given reports of ...", where "reports" is a noun)."""
        first = span[0]
        if first.lower_ in _PREPOSITIONS or first.lower_ in _NP_STOP:
            return False
        if len(span) != 1 or self.ent_at(span.start) is not None:
            return True
        token = span[0]
        if token.lower_ in _PRONOUNS or token.lower_ in _PUBLIC_WORDS:
            return True
        if not _capitalised(token):
            return self.source_kind(span) is not None
        opening = token.is_sent_start or token.i > 0 and self.doc[token.i - 1].is_quote
        function_word = token.lower_ in STOP_WORDS or token.lower_.endswith(("ing", "ed", "en", "ly")) \
            or token.lower_ in self.lower_words and token.lower_ not in source_nouns() \
            and token.lower_ not in _PUBLIC_WORDS
        return not (opening and function_word)

    def is_demonym_or_place(self, token) -> bool:
        ent = self.ent_at(token.i)
        return ent is not None and ent.label_ == "PLACE" and ent.end < len(self.doc)

    def source_kind(self, span: Span) -> tuple[str, str | None] | None:
        doc = self.doc
        if len(span) == 1 and span[0].lower_ in _PRONOUNS:
            return "pronoun", None
        words = [t for t in span if not t.is_punct]
        lead = [t for t in words if not (t.like_num or t.lower_ in _DETERMINERS)]
        if len(lead) > 2 and lead[0].lower_ in {"member", "members"} and lead[1].lower_ == "of":
            # "Eighty members of Britain's upper house of Parliament": members of an institution
            # speak as office holders.
            orgs = org_words()
            institution = any(orgs.get(t.text) == "organization" or source_nouns().get(t.lower_) == "organization"
                              for t in lead[2:]) or any(e._.entity_type in ("government", "party", "military",
                                                                            "agency", "organization")
                                                        for e in self.ents_in(span.start, span.end))
            return ("official_anonymous" if institution else "anonymous"), None
        ents = self.ents_in(span.start, span.end)
        actors = [e for e in ents if e.label_ == "ACTOR"]
        head = actors[0] if actors else (ents[0] if ents else None)
        if head is not None and head.label_ == "PLACE" and head.end < span.end:
            orgs = org_words()
            for tok in reversed(list(doc[head.end:span.end])):
                if tok.text in orgs:
                    return orgs[tok.text], None
        if head is not None and head.label_ == "PLACE" and (head.start, head.end) != (span.start, span.end) \
                and all(_capitalised(t) or t.is_punct for t in span) and _capitalised(span[0]):
            # "Will Tracy", "Valeska Paris": a name that ends in a place name.
            return self.descriptor_type(span) or ("named_person", None)
        if head is not None and head.start <= span.start + 1:
            return ENTITY_TO_SOURCE.get(head._.entity_type, "organization"), head.ent_id_ or None
        nouns = source_nouns()
        words = [t for t in span if not t.is_punct]
        if not words:
            return None
        # The head noun is the last word before a post-modifier.
        head_words = []
        for tok in words:
            if tok.lower_ in _PREPOSITIONS and head_words:
                break
            head_words.append(tok)
        last = head_words[-1]
        if last.lower_ in _GROUP_NOUNS and len(head_words) < len(words) and words[len(head_words)].lower_ == "of":
            members = words[len(head_words) + 1:]
            member_heads = [t for t in members if t.lower_ in nouns or t.lower_ in _PUBLIC_WORDS]
            if member_heads:
                word = member_heads[0].lower_
                return (nouns.get(word) or "public"), None
        if last.lower_ in _PUBLIC_WORDS or (last.lower_ == "percent") or any(t.like_num for t in head_words) \
                and last.lower_ in {"percent", "%"}:
            return "public", None
        if last.lower_ in nouns and not _capitalised(last):
            return nouns[last.lower_], None
        if head is not None:
            return ENTITY_TO_SOURCE.get(head._.entity_type, "organization"), head.ent_id_ or None
        if len(words) == 1 and (words[0].is_sent_start or words[0].i > 0 and doc[words[0].i - 1].is_quote) \
                and self.ent_at(words[0].i) is None:
            # "Researchers say ...", "Reports indicate ...": a capital that only opens the sentence.
            lower = words[0].lower_
            if lower in nouns:
                return nouns[lower], None
            if lower in _PUBLIC_WORDS:
                return "public", None
            if re.search(r"(ers|ists|ians|ors|ants|ents)$", lower) and lower not in first_names():
                return "anonymous", None
        if all(_capitalised(t) or t.text in {".", "-", "&", "’s", "'s"} or t.lower_ in _NAME_PARTICLES
               for t in words) and _capitalised(words[-1]):
            orgs = org_words()
            for tok in reversed(words):
                if tok.text in orgs:
                    return orgs[tok.text], None
            if len(words) == 1 and words[0].text.isupper() and len(words[0]) > 1:
                return "organization", None
            if any(re.search(r"\.(com|org|net|co\.uk)$", t.text.lower()) for t in words):
                return "media", None
            return self.descriptor_type(span) or ("named_person", None)
        for tok in reversed(head_words):
            if tok.lower_ in nouns:
                return nouns[tok.lower_], None
        if len(words) == 1 and words[0].lower_ in {"many", "some", "others", "most"}:
            return "public", None
        if re.search(r"(ers|ists|ians|ors|ants|ents)$", last.lower_) and not _capitalised(last):
            return "anonymous", None
        return None

    def unknown_single_name(self, span: Span) -> bool:
        """One capitalised word that no entity covers and no longer name in the document ends with."""
        if len(span) != 1 or self.ent_at(span.start) is not None or span[0].text in first_names():
            return False
        return span[0].text not in self.name_ends()

    def name_ends(self) -> set[str]:
        """Words that end a longer capitalised name somewhere in the document (read once per doc:
        scanning the document per sentence made long documents quadratic)."""
        if self._name_ends is None:
            words, starts = self.words, self.doc.to_array(SENT_START).tolist()
            self._name_ends = {
                words[i] for i in range(1, len(words))
                if starts[i] != 1 and _capitalised_text(words[i - 1])
            }
        return self._name_ends

    def descriptor_type(self, span: Span) -> tuple[str, None] | None:
        """An unlisted name is typed by the common noun just before it: "the secularist magazine
        MicroMega", "football club Paris Saint-Germain", "Turkish daily Hürriyet"."""
        if span.start == 0:
            return None
        tok = self.doc[span.start - 1]
        kind = source_nouns().get(tok.lower_) if tok.is_lower else None
        return (kind, None) if kind in ("media", "organization", "state_media") else None

    def resolve_pronoun(self, pronoun: Span, window: int) -> Span | None:
        """The one named person of compatible gender in this and the previous ``window``
        sentences; None when there is none or more than one."""
        word = pronoun[0].lower_
        if word not in _PRONOUN_GENDER:
            return None
        wanted = _PRONOUN_GENDER[word]
        sents = self.sentences()
        index = max(0, bisect_right(self.sentence_starts(), pronoun.start) - 1)
        sent = sents[index]
        first = sents[max(0, index - window)].start
        people = [e for e in self.ents if e._.entity_type == "person" and first <= e.start < pronoun.start
                  and not self.mask[e.start]]
        # A bare first name outside any entity ("Adele was in tears") is a person too.
        names = first_names()
        people += [self.doc[k:k + 1] for k in range(first, pronoun.start)
                   if self.words[k] in names and self.ent_at(k) is None and not self.mask[k]
                   and self.doc[k].lower_ not in STOP_WORDS and self.doc[k].lower_ not in self.lower_words
                   and not (k + 1 < len(self.doc) and _capitalised(self.doc[k + 1]))
                   and not (k > 0 and _capitalised(self.doc[k - 1]) and not self.doc[k].is_sent_start)]
        people.sort(key=lambda e: e.start)
        # A person named earlier in this sentence ("Nouri al-Maliki did not ..., and he said").
        here = [e for e in people if e.start >= sent.start and self._compatible(e, wanted)]
        if len({e.ent_id_ or e.text for e in here}) == 1:
            return here[-1]
        # The speaker of the sentences just before, when a named person of compatible gender.
        for prior in sents[max(0, index - window):index][::-1]:
            source = self.sources.get(prior.start)
            if not source:
                continue
            if source.get("type") == "named_person":
                ref = source.get("refers_to") or source
                span = self.doc.char_span(ref["start"], ref["end"], alignment_mode="expand")
                if span is not None and self._compatible(span, wanted):
                    return span
            break
        candidates: dict[str, Span] = {}
        for ent in people:
            gender = self._gender(ent)
            if gender in ("m", "f") and gender != wanted:
                continue
            candidates[(ent.ent_id_ if ent.label_ else "") or ent.text] = ent
        if len(candidates) == 1:
            return next(iter(candidates.values()))
        known = [e for e in candidates.values()
                 if self._gender(e) == wanted]
        if len(known) == 1:
            return known[0]
        return None

    def _gender(self, span: Span) -> str | None:
        ent = self.ent_at(span.start)
        gender = gender_of(self.doc, ent.ent_id_) if ent is not None else None
        if gender is None and not (span.start > 0 and _capitalised(self.doc[span.start - 1])
                                   and not self.doc[span.start - 1].is_sent_start):
            # A first name only tells the gender where the name starts ("Luiz Inácio Lula da
            # Silva" matched as "Lula da Silva" does not start with the first name "Lula").
            gender = first_names().get(span[0].text)
        return gender

    def _compatible(self, span: Span, wanted: str) -> bool:
        return self._gender(span) in (None, "?", wanted)

    def paragraph_speaker(self, extractor: SourceExtractor, sent: Span) -> tuple | None:
        """For a sentence inside a quotation without a tag of its own: the tag of the same
        quotation, after it ('..., the source said.') or before it ('X said: “...')."""
        doc = self.doc
        # Walk forward to where the quotation closes, within the paragraph.
        k = sent.start
        while k < len(doc) and (self.mask[k] or doc[k].is_quote or doc[k].is_punct) and "\n" not in doc[k].text:
            k += 1
        if k < len(doc) and "\n" not in doc[k].text:
            tail_end = k
            while tail_end < min(len(doc), k + 12) and "\n" not in doc[tail_end].text \
                    and (tail_end == k or not doc[tail_end].is_sent_start):
                tail_end += 1
            begin = k
            while begin > max(sent.start, k - 2) and (doc[begin - 1].is_punct or doc[begin - 1].is_quote):
                begin -= 1
            found = extractor.source_in_region(self, doc[begin:tail_end])
            if found is not None and found[0] is not None:
                return found
        # Walk back to the opening quotation mark and look at the words before it.
        k = sent.start - 1
        while k >= 0 and self.mask[k] and "\n" not in doc[k].text:
            k -= 1
        if k >= 0 and (doc[k].text in _OPEN_QUOTES or doc[k].text in _STRAIGHT):
            start = k
            while start > 0 and not doc[start].is_sent_start and "\n" not in doc[start - 1].text:
                start -= 1
            region = doc[start:k]
            if len(region):
                found = extractor.source_in_region(self, region)
                if found is not None and found[0] is not None:
                    return found
        return None


def _straight_opens(doc: Doc, i: int, state: bool) -> bool:
    """Whether a straight double quote opens (True) or closes (False) a quotation: it opens
    after a space or line start and before a word; it closes after a word or punctuation;
    otherwise it toggles. Judging by context keeps one stray quote from inverting a paragraph."""
    before_space = i == 0 or bool(doc[i - 1].whitespace_) or "\n" in doc[i - 1].text or doc[i - 1].text in "([:—"
    after_space = bool(doc[i].whitespace_) or i + 1 >= len(doc) or doc[i + 1].is_punct or "\n" in doc[i + 1].text
    if before_space and not after_space:
        return True
    if after_space and not before_space:
        return False
    return not state


def _ends_clause(doc: Doc, end: int, limit: int) -> bool:
    """True when the phrase ending at ``end`` closes its clause (sentence end, comma, quote)."""
    k = end
    while k < limit and doc[k].is_space:
        k += 1
    return k >= limit or doc[k].text in {".", ",", ";", "!", "?", ":", "—"} or doc[k].is_quote \
        or doc[k].lower_ in {"on", "in", "at", "during", "after", "yesterday", "today", "last", "this",
                             "earlier", "later", "when", "while", "as"}


def _capitalised(token) -> bool:
    return _capitalised_text(token.text)


def _capitalised_text(text: str) -> bool:
    return bool(text) and text[:1].isupper() and any(ch.isalpha() for ch in text)


def _is_percent_subject(doc: Doc, k: int, i: int) -> bool:
    return any(doc[m].lower_ in ("percent", "%") for m in range(k, i + 1))


@Language.factory("claimlens_sources", default_config={"pronoun_window": 2})
def make_sources(nlp: Language, name: str, *, pronoun_window: int) -> SourceExtractor:
    return SourceExtractor(nlp, name, pronoun_window=pronoun_window)
