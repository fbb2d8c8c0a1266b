"""Which sentences are most worth labelling next (active learning).

``suggest`` classifies the input articles and ranks their claim sentences by a strategy:

* ``uncertainty`` — 1 − the top probability (least confident first);
* ``margin`` — 1 − (top − second probability): the model hesitates between two labels;
* ``entropy`` — entropy of the three probabilities;
* ``disagreement`` — the model's label differs from the cue-rule baseline's (``baseline.py``);
  disagreements come first, each group ordered by uncertainty.

Selection then walks the ranking and skips a sentence that is a near-duplicate of one already
chosen (word-bigram Jaccard ≥ ``near_duplicate``: agency copy repeated across outlets is
labelled once), that is excluded (already labelled), or whose document already gave
``per_doc`` sentences, so one long article cannot take the whole batch.

The scoring and selection functions are pure (arrays and dicts in and out) so the active
learning benchmark uses exactly them.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from nlp import LABELS
from nlp.baseline import cue_rule_label
from nlp.errors import UsageError
from nlp.label_import import sentence_key

STRATEGIES = ("uncertainty", "margin", "entropy", "disagreement")
NEAR_DUPLICATE = 0.8
_WORD = re.compile(r"\w+")
_DIGITS = re.compile(r"\d")


def scores(probs: np.ndarray, strategy: str, rule_labels: list[str] | None = None) -> np.ndarray:
    """Higher = more worth labelling. ``probs`` has one row per sentence, columns in ``LABELS`` order."""
    probs = np.asarray(probs, dtype=float).reshape(-1, len(LABELS))
    if strategy not in STRATEGIES:
        raise UsageError(f"unknown strategy {strategy!r}; choose from {', '.join(STRATEGIES)}")
    uncertainty = 1.0 - probs.max(axis=1)
    if strategy == "uncertainty":
        return uncertainty
    if strategy == "margin":
        top2 = np.sort(probs, axis=1)[:, -2:]
        return 1.0 - (top2[:, 1] - top2[:, 0])
    if strategy == "entropy":
        clipped = np.clip(probs, 1e-12, 1.0)
        return -(clipped * np.log(clipped)).sum(axis=1) / math.log(len(LABELS))
    if rule_labels is None or len(rule_labels) != len(probs):
        raise UsageError("the disagreement strategy needs the cue-rule label of every sentence")
    model_labels = [LABELS[i] for i in probs.argmax(axis=1)]
    disagree = np.array([m != r for m, r in zip(model_labels, rule_labels)], dtype=float)
    # Uncertainty is below 1, so every disagreement ranks above every agreement.
    return disagree + uncertainty


def shingles(text: str) -> frozenset:
    words = [_DIGITS.sub("0", w) for w in _WORD.findall(text.casefold())]
    if len(words) < 3:
        return frozenset(words)
    return frozenset(zip(words, words[1:]))


def jaccard(a: frozenset, b: frozenset) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


@dataclass
class Candidate:
    doc_id: str
    index: int
    start: int
    end: int
    text: str
    probs: dict[str, float]
    rule_label: str
    context_before: list[str] = field(default_factory=list)
    context_after: list[str] = field(default_factory=list)
    score: float = 0.0
    near_duplicates: int = 0

    @property
    def model_label(self) -> str:
        return max(self.probs, key=self.probs.get)

    def as_record(self, strategy: str, model: str | None) -> dict:
        return {
            "id": f"{self.doc_id}:{self.index}",
            "text": self.text,
            "doc_id": self.doc_id,
            "index": self.index,
            "start": self.start,
            "end": self.end,
            "context_before": self.context_before,
            "context_after": self.context_after,
            "model_label": self.model_label,
            "probs": {k: round(v, 4) for k, v in self.probs.items()},
            "rule_label": self.rule_label,
            "strategy": strategy,
            "score": round(float(self.score), 4),
            "near_duplicates": self.near_duplicates,
            "model": model,
        }


@dataclass
class Selection:
    chosen: list[Candidate]
    considered: int
    near_duplicates: int = 0
    excluded: int = 0
    capped_by_doc: int = 0


def select(candidates: list[Candidate], *, n: int, per_doc: int | None = None,
           near_duplicate: float = NEAR_DUPLICATE, exclude: Iterable[str] = ()) -> Selection:
    """The ``n`` best-scored candidates, near-duplicates collapsed, at most ``per_doc`` per document.

    Candidates must carry their ``score``; ties keep input order. ``exclude`` holds
    ``sentence_key`` values of sentences already labelled.
    """
    if n < 1:
        raise UsageError("-n must be at least 1")
    if per_doc is not None and per_doc < 1:
        raise UsageError("--per-doc must be at least 1")
    excluded_keys = set(exclude)
    ranked = sorted(range(len(candidates)), key=lambda i: -candidates[i].score)
    chosen: list[Candidate] = []
    chosen_shingles: list[frozenset] = []
    chosen_keys: dict[str, int] = {}
    per_doc_count: dict[str, int] = {}
    keys = [sentence_key(candidate.text) for candidate in candidates]
    # Counted over all candidates, not only those ranked before the n-th pick: "already labelled" is a fact about
    # the input, whatever -n is.
    result = Selection(chosen, considered=len(candidates), excluded=sum(key in excluded_keys for key in keys))
    for i in ranked:
        if len(chosen) >= n:
            break
        candidate = candidates[i]
        key = keys[i]
        if key in excluded_keys:
            continue
        twin = chosen_keys.get(key)
        if twin is None:
            grams = shingles(candidate.text)
            twin = next((j for j, other in enumerate(chosen_shingles) if jaccard(grams, other) >= near_duplicate),
                        None)
        if twin is not None:
            chosen[twin].near_duplicates += 1
            result.near_duplicates += 1
            continue
        if per_doc is not None and per_doc_count.get(candidate.doc_id, 0) >= per_doc:
            result.capped_by_doc += 1
            continue
        per_doc_count[candidate.doc_id] = per_doc_count.get(candidate.doc_id, 0) + 1
        chosen_keys[key] = len(chosen)
        chosen.append(candidate)
        chosen_shingles.append(grams)
    return result


def doc_candidates(doc_id: str, doc, *, context: int = 2, offset: int = 0, first_index: int = 0) -> list[Candidate]:
    """Claim sentences of a classified Doc, with ``context`` sentences either side; a Doc of a piece of an
    article starts at character ``offset`` and sentence ``first_index`` of it."""
    sentences = list(doc.sents)
    texts = [s.text.strip() for s in sentences]
    out = []
    for index, sent in enumerate(sentences):
        if sent._.skipped or sent._.probs is None:
            continue
        stripped = texts[index]
        start = offset + sent.start_char + (len(sent.text) - len(sent.text.lstrip()))
        item = {"cues": sent._.cues or [], "in_quote": sent._.quote is not None}
        out.append(Candidate(
            doc_id=doc_id, index=first_index + index, start=start, end=start + len(stripped), text=stripped,
            probs=dict(sent._.probs), rule_label=cue_rule_label(item),
            context_before=[t for t in texts[max(0, index - context):index] if t],
            context_after=[t for t in texts[index + 1:index + 1 + context] if t],
        ))
    return out


@dataclass
class SuggestResult:
    records: list[dict]
    selection: Selection
    documents: int
    problems: list[dict]  # input error records (unreadable files, bad JSON lines)
    model: str | None


def suggest(inputs: list[str], *, model: str | None = None, n: int = 50, strategy: str = "uncertainty",
            per_doc: int | None = None, context: int = 2, exclude: Iterable[str] = (),
            batch_size: int = 32) -> SuggestResult:
    """Classify the articles in ``inputs`` and pick the ``n`` sentences most worth labelling."""
    from nlp.classify import split_text
    from nlp.inputs import STDIN, Article, flag_duplicates, iter_inputs, peekable_stdin
    from nlp.pipeline import load
    from nlp.report_inputs import refuse_classify_output

    stdin = peekable_stdin() if STDIN in inputs else None
    refuse_classify_output(inputs, "suggest", stdin)
    if strategy not in STRATEGIES:
        raise UsageError(f"unknown strategy {strategy!r}; choose from {', '.join(STRATEGIES)}")
    if context < 0:
        raise UsageError("--context must be 0 or more")
    pipeline = load(model)
    items = list(flag_duplicates(iter_inputs(inputs, stdin)))
    articles = [item for item in items if isinstance(item, Article)]
    problems = [item.as_record() for item in items if not isinstance(item, Article)]
    candidates: list[Candidate] = []
    model_name = None
    # In classify's pieces: spaCy refuses a text over its max_length.
    pieces = [(article, offset, piece) for article in articles for offset, piece in split_text(article.text)]
    docs = pipeline.pipe((piece for _, _, piece in pieces), batch_size=batch_size)
    sentences_before: Counter = Counter()  # per article, in the pieces before this one
    for (article, offset, _), doc in zip(pieces, docs):
        model_name = doc._.model
        candidates.extend(doc_candidates(article.doc_id, doc, context=context, offset=offset,
                                         first_index=sentences_before[article.doc_id]))
        sentences_before[article.doc_id] += sum(1 for _ in doc.sents)
    if candidates:
        probs = np.array([[c.probs[label] for label in LABELS] for c in candidates])
        for candidate, value in zip(candidates, scores(probs, strategy, [c.rule_label for c in candidates])):
            candidate.score = float(value)
    selection = select(candidates, n=n, per_doc=per_doc, exclude=exclude)
    records = [c.as_record(strategy, model_name) for c in selection.chosen]
    return SuggestResult(records, selection, len(articles), problems, model_name)


def labelled_keys(paths: list, *, fmt: str | None = None) -> set[str]:
    """Sentence keys of everything in label files (any import format), to exclude from suggestions."""
    from pathlib import Path

    from nlp.label_import import LabelRecord, read_label_file

    keys = set()
    for path in paths:
        _, entries = read_label_file(Path(path), fmt=fmt, format_hint="--exclude takes label files: claimlens, "
                                     "claimlens-docs, Prodigy, doccano or Label Studio JSON(L), or CSV")
        keys.update(sentence_key(e.text) for e in entries if isinstance(e, LabelRecord) and e.text.strip())
    return keys
