"""A Doc's strings read in bulk: its text (built once per doc) and its lower-cased words.

``Doc.text`` joins a Token object's text per token on every access and ``token.lower_``
decodes a new string from the ``StringStore`` per call; done per sentence or per component,
that cost more than the classifier's own work. Here the token attributes are read as one
array and mapped to strings through small caches (the same few thousand strings come back in
every document), and the text is kept in ``doc.user_data`` for whoever needs it next (the
classifier, the cue finder, the records).
"""
from __future__ import annotations

from spacy.attrs import LOWER, ORTH, SPACY
from spacy.tokens import Doc

TEXT_KEY = "claimlens_text"
# Entries per cache before it is emptied: memory stays flat over any number of documents.
CACHE_LIMIT = 50_000


class _StringCache(dict):
    """Hash → string for one ``StringStore``; key 0 stands for "no word" (whitespace tokens)."""

    def __init__(self, strings):
        super().__init__({0: None})
        self.strings = strings

    def __missing__(self, key: int) -> str:
        if len(self) > CACHE_LIMIT:
            self.clear()
            self[0] = None
        value = self[key] = self.strings[key]
        return value


class _WordCache(_StringCache):
    """Like ``_StringCache`` for LOWER hashes, but whitespace maps to None ("no word"): a
    whitespace token's lower form is itself, and ``token.is_space`` is ``text.isspace()``."""

    def __missing__(self, key: int) -> str | None:
        value = super().__missing__(key)
        if value is not None and value.isspace():
            value = self[key] = None
        return value


class _TokenTextCache(dict):
    """(orth hash, followed by a space) → the token's text with its whitespace, for one ``StringStore``."""

    def __init__(self, strings):
        super().__init__()
        self.strings = strings

    def __missing__(self, key: tuple[int, int]) -> str:
        if len(self) > CACHE_LIMIT:
            self.clear()
        orth, space = key
        value = self[key] = self.strings[orth] + " " if space else self.strings[orth]
        return value


_CACHES: dict[tuple[type, int], dict] = {}


def _cache(kind: type, doc: Doc):
    strings = doc.vocab.strings
    cache = _CACHES.get((kind, id(strings)))
    if cache is None or cache.strings is not strings:
        if len(_CACHES) > 8:  # pipelines come and go (tests): keep a few
            _CACHES.clear()
        cache = _CACHES[(kind, id(strings))] = kind(strings)
    return cache


def doc_text(doc: Doc) -> str:
    """``doc.text``, built once per doc and kept in ``doc.user_data``.

    A doc's text never changes (retokenizing keeps it); the token count guards against user
    data copied onto another doc.
    """
    cached = doc.user_data.get(TEXT_KEY)
    if cached is not None and cached[0] == len(doc):
        return cached[1]
    array = doc.to_array([ORTH, SPACY])
    text = "".join(texts_with_space(doc, array[:, 0].tolist(), array[:, 1].tolist())) if len(array) else ""
    doc.user_data[TEXT_KEY] = (len(doc), text)
    return text


def token_texts(doc: Doc, orths=None) -> list[str]:
    """Each token's text (``token.text``, whitespace tokens included), without Token objects.

    ``orths``: the doc's ORTH column when the caller has already read it.
    """
    if orths is None:
        orths = doc.to_array(ORTH)
    if not len(orths):
        return []
    return list(map(_cache(_StringCache, doc).__getitem__, orths.tolist()))


def texts_with_space(doc: Doc, orths: list[int], spaces: list[int]) -> list[str]:
    """``token.text_with_ws`` for tokens given by their ORTH hashes and SPACY flags (cached strings)."""
    return list(map(_cache(_TokenTextCache, doc).__getitem__, zip(orths, spaces)))


def lower_words(doc: Doc) -> list[str | None]:
    """Each token's lower-cased text (``token.lower_``), None for whitespace tokens."""
    lowers = doc.to_array(LOWER)
    if not len(lowers):
        return []
    return list(map(_cache(_WordCache, doc).__getitem__, lowers.tolist()))


class TokenTexts:
    """A doc's token texts (``token.text``), decoded from their hashes only where they are read.

    For rules that look at a few places of a long doc (the tokens around a match or a name):
    decoding every token costs more than the rules. ``orths`` is the doc's ORTH column as a list.
    """

    __slots__ = ("orths", "_strings")

    def __init__(self, doc: Doc, orths: list[int]):
        self.orths = orths
        self._strings = _cache(_StringCache, doc)

    def __len__(self) -> int:
        return len(self.orths)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return list(map(self._strings.__getitem__, self.orths[i]))
        return self._strings[self.orths[i]]

