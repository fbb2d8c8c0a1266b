"""Confidence reports: classify records in, per-article and corpus aggregates out.

Pure: no files, no model, no printing. ``build_report`` takes the records ``claimlens classify``
writes (any iterable, read once, in document order) and returns a JSON-ready dict whose shape
is described by ``nlp/resources/report/report.schema.json``. Renderers (``nlp.report_render``,
``nlp.report_html``) only format that dict.
"""
from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Iterable, Iterator, Mapping

from nlp import LABELS

SCHEMA = "claimlens-report"
SCHEMA_VERSION = 1
# Without a calibrated threshold in the model's meta.json: below 0.6 the top label wins by
# a small margin over the other two (3 labels), which is where an analyst should look.
DEFAULT_THRESHOLD = 0.6
ANONYMOUS_TYPES = frozenset({"anonymous", "official_anonymous"})
ENTITY_KINDS = {"ACTOR": "actors", "PLACE": "places"}
# The top probability of 3 labels is never below 1/3: bins start at 0.3.
HISTOGRAM_EDGES = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
# One-sided 95% Wilson bound: ranks "4 of 6 speculative" above a single speculative mention.
WILSON_Z = 1.645
DIGITS = 4


@lru_cache(maxsize=1)
def verdict_rules() -> dict:
    text = resources.files("nlp").joinpath("resources/report/verdict.json").read_text(encoding="utf-8")
    return json.loads(text)


def _dig(mapping, *keys):
    for key in keys:
        if not isinstance(mapping, Mapping) or key not in mapping:
            return None
        mapping = mapping[key]
    return mapping


def threshold_from_meta(meta: Mapping | None) -> tuple[float, str]:
    """The low-confidence threshold a model recommends, and where it came from.

    Looked for at ``calibration.low_confidence_threshold`` then
    ``metrics.test.calibration.low_confidence_threshold``; otherwise ``DEFAULT_THRESHOLD``.
    """
    for where in (("calibration", "low_confidence_threshold"),
                  ("metrics", "test", "calibration", "low_confidence_threshold")):
        value = _dig(meta, *where)
        if isinstance(value, (int, float)) and 0.0 < value <= 1.0:
            return float(value), "model:" + ".".join(where)
    return DEFAULT_THRESHOLD, "default"


def model_reliability(meta: Mapping | None) -> dict | None:
    """What the model's own evaluation says about it; fields missing from meta.json stay out."""
    if not meta:
        return None
    out: dict = {"name": f"{meta.get('name')}-{meta.get('version')}"}
    if meta.get("created"):
        out["created"] = meta["created"]
    for split in ("dev", "test"):
        metrics = _dig(meta, "metrics", split)
        if not isinstance(metrics, Mapping):
            continue
        entry = {key: metrics[key] for key in ("sentences", "accuracy", "macro_f1")
                 if key in metrics and _finite(metrics[key])}
        per_label = metrics.get("per_label")
        if isinstance(per_label, Mapping):
            entry["f1"] = {label: per_label[label]["f1"] for label in LABELS
                           if isinstance(per_label.get(label), Mapping) and "f1" in per_label[label]
                           and _finite(per_label[label]["f1"])}
        calibration = metrics.get("calibration")
        if isinstance(calibration, Mapping):
            if isinstance(calibration.get("ece"), (int, float)) and _finite(calibration["ece"]):
                entry["ece"] = calibration["ece"]
            bins = calibration.get("reliability")
            if isinstance(bins, list):
                entry["reliability"] = [
                    {key: b.get(key) if _finite(b.get(key)) else None
                     for key in ("lower", "upper", "count", "confidence", "accuracy")}
                    for b in bins if isinstance(b, Mapping)
                ]
        out[split] = entry
    return out


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _probability(value) -> bool:
    return _number(value) and 0 <= value <= 1  # NaN fails both comparisons


def _finite(value) -> bool:
    # A hand-edited meta.json can hold NaN or Infinity, which Python reads but no strict JSON reader does.
    return not isinstance(value, float) or math.isfinite(value)


def _object(value, strings: tuple[str, ...] = (), nullable: tuple[str, ...] = ()) -> bool:
    """An object whose ``strings`` fields are strings and ``nullable`` ones strings or null, when present."""
    return (isinstance(value, Mapping) and all(isinstance(value.get(key, ""), str) for key in strings)
            and all(isinstance(value.get(key), (str, type(None))) for key in nullable))


def _or_null(valid):
    return lambda value: value is None or valid(value)


def _list_of(valid):
    return lambda value: isinstance(value, list) and all(map(valid, value))


# What the report reads from a record, and what it must be when present: classify writes it so, a
# hand-edited file can hold anything. A missing field is fine (the report does without it).
RECORD_FIELD_CHECKS = (
    ("doc_id", "a string", lambda value: isinstance(value, str)),
    ("error", "an error (type, message)",
     lambda error: _object(error, ("type", "message")) and {"type", "message"} <= error.keys()),
    ("index", "an integer or null", _or_null(lambda value: isinstance(value, int) and not isinstance(value, bool))),
    ("label", f"one of {', '.join(LABELS)} or null", _or_null(lambda value: value in LABELS)),
    ("skipped", "a string or null", _or_null(lambda value: isinstance(value, str))),
    ("confidence", "a probability (0 to 1) or null", _or_null(_probability)),
    ("probs", "an object of probabilities (0 to 1) or null",
     _or_null(lambda value: isinstance(value, Mapping) and all(map(_probability, value.values())))),
    ("text", "a string", lambda value: isinstance(value, str)),
    ("cues", "a list of cues (text, type)", _or_null(_list_of(lambda cue: _object(cue, ("text",), ("type",))))),
    ("entities", "a list of entities (text, label, type, id)",
     _or_null(_list_of(lambda entity: _object(entity, ("text",), ("label", "type", "id"))))),
    ("source", "a source (text, type) or null", _or_null(lambda source: _object(source, ("text",), ("type",)))),
    ("model", "a string or null", _or_null(lambda value: isinstance(value, str))),
)


def record_problem(record: Mapping) -> str | None:
    """Why a classify record cannot be counted (e.g. ``"label" is not one of ...: "banana"``), or None."""
    if "doc_id" not in record:
        return 'it has no "doc_id"'
    for name, expected, valid in RECORD_FIELD_CHECKS:
        if name in record and not valid(record[name]):
            shown = json.dumps(record[name])
            return f'"{name}" is not {expected}: {shown if len(shown) <= 40 else shown[:39] + "…"}'
    return None


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, DIGITS) if whole else None


def wilson_lower(successes: int, trials: int, z: float = WILSON_Z) -> float:
    if trials == 0:
        return 0.0
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = p + z * z / (2 * trials)
    margin = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return max(0.0, (centre - margin) / denominator)


def _entity_key(entity: Mapping) -> tuple[str, str]:
    return entity.get("label") or "?", entity.get("id") or str(entity.get("text", "")).casefold()


@dataclass
class _EntityTally:
    text: str
    label: str
    type: str | None
    id: str | None
    counts: Counter = field(default_factory=Counter)
    names: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict:
        claims = sum(self.counts.values())
        speculative = self.counts["speculation"]
        return {
            "text": self.names.most_common(1)[0][0] if self.names else self.text,
            "label": self.label,
            "type": self.type,
            "id": self.id,
            "claims": claims,
            "counts": {label: self.counts[label] for label in LABELS},
            "speculation_share": _share(speculative, claims),
            "speculation_score": round(wilson_lower(speculative, claims), DIGITS),
        }


@dataclass
class _Tally:
    """Running aggregates over a set of records (one article, or the whole corpus)."""

    threshold: float
    segments: int = 0
    skipped: int = 0
    labels: Counter = field(default_factory=Counter)
    confidence_sums: Counter = field(default_factory=Counter)
    histogram: list = field(default_factory=lambda: [0] * (len(HISTOGRAM_EDGES) - 1))
    low_confidence: int = 0
    source_types: Counter = field(default_factory=Counter)
    attributed_with_source: int = 0
    anonymous_attributed: int = 0
    anonymous_claims: int = 0
    entities: dict = field(default_factory=dict)

    def add(self, record: Mapping) -> None:
        self.segments += 1
        label = record.get("label")
        if record.get("skipped") or label not in LABELS:
            self.skipped += 1
            return
        confidence = record.get("confidence")
        if confidence is None:
            confidence = max((record.get("probs") or {label: 1.0}).values())
        self.labels[label] += 1
        self.confidence_sums[label] += confidence
        self.histogram[_bin(confidence)] += 1
        if confidence < self.threshold:
            self.low_confidence += 1
        source = record.get("source")
        source_type = source.get("type") if isinstance(source, Mapping) else None
        if source_type:
            self.source_types[source_type] += 1
            if source_type in ANONYMOUS_TYPES:
                self.anonymous_claims += 1
        if label == "attribution" and source_type:
            self.attributed_with_source += 1
            if source_type in ANONYMOUS_TYPES:
                self.anonymous_attributed += 1
        seen = set()
        for entity in record.get("entities") or ():
            key = _entity_key(entity)
            if key in seen or key[0] not in ENTITY_KINDS:
                continue  # an entity named twice in one sentence is one claim about it
            seen.add(key)
            tally = self.entities.get(key)
            if tally is None:
                tally = self.entities[key] = _EntityTally(
                    entity.get("text", ""), key[0], entity.get("type"), entity.get("id"))
            tally.counts[label] += 1
            tally.names[entity.get("text", "")] += 1

    def merge(self, other: "_Tally") -> None:
        """Add another tally's counts (the corpus is the merge of its articles)."""
        for name in ("segments", "skipped", "low_confidence", "attributed_with_source",
                     "anonymous_attributed", "anonymous_claims"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("labels", "confidence_sums", "source_types"):
            getattr(self, name).update(getattr(other, name))
        self.histogram = [a + b for a, b in zip(self.histogram, other.histogram)]
        for key, theirs in other.entities.items():
            mine = self.entities.get(key)
            if mine is None:
                mine = self.entities[key] = _EntityTally(theirs.text, theirs.label, theirs.type, theirs.id)
            mine.counts.update(theirs.counts)
            mine.names.update(theirs.names)

    @property
    def claims(self) -> int:
        return sum(self.labels.values())

    def summary(self) -> dict:
        claims = self.claims
        attributed = self.labels["attribution"]
        entities = [tally.as_dict() for tally in self.entities.values()]
        entities.sort(key=lambda e: (-e["claims"], e["text"].casefold()))
        return {
            "segments": self.segments,
            "skipped": self.skipped,
            "claims": claims,
            "labels": {
                label: {
                    "count": self.labels[label],
                    "share": _share(self.labels[label], claims),
                    "mean_confidence": (round(self.confidence_sums[label] / self.labels[label], DIGITS)
                                        if self.labels[label] else None),
                }
                for label in LABELS
            },
            "mean_confidence": (round(sum(self.confidence_sums.values()) / claims, DIGITS) if claims else None),
            "low_confidence": {"count": self.low_confidence, "share": _share(self.low_confidence, claims)},
            "confidence_histogram": [
                {"lower": lower, "upper": upper, "count": count}
                for lower, upper, count in zip(HISTOGRAM_EDGES, HISTOGRAM_EDGES[1:], self.histogram)
            ],
            "sources": {
                "by_type": dict(sorted(self.source_types.items(), key=lambda kv: (-kv[1], kv[0]))),
                "attributed_claims": attributed,
                "attributed_with_source": self.attributed_with_source,
                "anonymous_attributed": self.anonymous_attributed,
                "anonymous_share": _share(self.anonymous_attributed, attributed),
                "anonymous_claims": self.anonymous_claims,
                "anonymous_claim_share": _share(self.anonymous_claims, claims),
            },
            "entities": {
                kind: [e for e in entities if e["label"] == label] for label, kind in ENTITY_KINDS.items()
            },
        }


def _bin(confidence: float) -> int:
    for i, upper in enumerate(HISTOGRAM_EDGES[1:-1]):
        if confidence < upper:
            return i
    return len(HISTOGRAM_EDGES) - 2


def verdict(summary: Mapping) -> str:
    """One line on how firmly an article stands, e.g. "mostly attributed to anonymous sources; 5 speculative claims"."""
    rules = verdict_rules()
    claims = summary["claims"]
    if not claims:
        return rules["no_claims"]
    labels = summary["labels"]
    sources = summary["sources"]
    dominant = max(LABELS, key=lambda label: (labels[label]["count"], -LABELS.index(label)))
    anonymous_share = sources["anonymous_share"] or 0.0
    parts = []
    if labels[dominant]["share"] >= rules["mostly_share"]:
        if dominant == "attribution" and anonymous_share >= rules["anonymous_majority_share"]:
            parts.append(rules["attribution_anonymous"])
        else:
            parts.append(rules["dominant"][dominant])
    else:
        shares = ", ".join(f"{round(100 * labels[label]['share'])}% {rules['short_labels'][label]}"
                           for label in LABELS)
        parts.append(f"{rules['mixed']}: {shares}")
    if sources["anonymous_attributed"] and rules["attribution_anonymous"] not in parts:
        parts.append(f"{sources['anonymous_attributed']} of {sources['attributed_claims']} attributed "
                     f"claims rest on anonymous sources")
    speculative = labels["speculation"]["count"]
    if speculative and dominant != "speculation":
        parts.append(counted(speculative, "speculative claim"))
    low = summary["low_confidence"]["count"]
    if low:
        parts.append(counted(low, "low-confidence sentence"))
    return "; ".join(parts)


def counted(n: int, noun: str) -> str:
    """ "1 claim", "0 claims", "3 claims"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _sentence(record: Mapping, threshold: float) -> dict:
    confidence = record.get("confidence")
    return {
        "index": record.get("index"),
        "start": record.get("start"),
        "end": record.get("end"),
        "text": record.get("text", ""),
        "label": record.get("label"),
        "skipped": record.get("skipped"),
        "confidence": confidence,
        "probs": record.get("probs"),
        "cues": record.get("cues") or [],
        "source": record.get("source"),
        "low_confidence": confidence is not None and confidence < threshold,
    }


def _articles(records: Iterable[Mapping]) -> Iterator[tuple[str, list[Mapping] | Mapping]]:
    """Group records into articles: a new one starts when doc_id changes or the index restarts.

    An error record (a document that failed, or a line that is no record) is passed on at once; it
    does not end the article around it, so one bad line does not cut an article in two.
    """
    current: list[Mapping] = []
    for record in records:
        if "error" in record:
            yield record.get("doc_id"), record
            continue
        if current and (record.get("doc_id") != current[0].get("doc_id")
                        or (record.get("index") or 0) <= (current[-1].get("index") or 0)):
            yield current[0]["doc_id"], current
            current = []
        current.append(record)
    if current:
        yield current[0]["doc_id"], current


def build_report(
    records: Iterable[Mapping],
    *,
    meta: Mapping | None = None,
    threshold: float | None = None,
    top: int = 10,
    keep_sentences: bool = False,
    texts: Mapping[str, str] | None = None,
) -> dict:
    """Aggregate classify records into a report (see ``report.schema.json``).

    ``threshold``: confidence below which a claim is listed as low-confidence; None takes the
    model's calibrated threshold from ``meta`` (see ``threshold_from_meta``). ``top``: length of
    the corpus rankings. ``keep_sentences``: also keep every segment per article (for the HTML
    view), with the article's full text from ``texts`` when given.
    """
    if threshold is None:
        threshold, threshold_source = threshold_from_meta(meta)
    else:
        threshold_source = "option"
    corpus = _Tally(threshold)
    articles, errors, models = [], [], Counter()
    for doc_id, group in _articles(records):
        if isinstance(group, Mapping):
            errors.append({"doc_id": doc_id, "error": group["error"]})
            continue
        tally = _Tally(threshold)
        low = []
        for record in group:
            tally.add(record)
            if record.get("model"):
                models[record["model"]] += 1
            confidence = record.get("confidence")
            if record.get("label") in LABELS and confidence is not None and confidence < threshold:
                low.append({**{key: record.get(key) for key in ("index", "label", "confidence", "probs")},
                            "text": record.get("text", "")})
        corpus.merge(tally)
        summary = tally.summary()
        summary["low_confidence"]["sentences"] = sorted(low, key=lambda s: (s["confidence"], s["index"] or 0))
        article = {"doc_id": doc_id, **summary, "verdict": verdict(summary)}
        if keep_sentences:
            article["sentences"] = [_sentence(record, threshold) for record in group]
            if texts and doc_id in texts:
                article["text"] = texts[doc_id]
        articles.append(article)

    corpus_summary = corpus.summary()
    corpus_summary["verdict"] = verdict(corpus_summary)
    entities = [e for kind in ENTITY_KINDS.values() for e in corpus_summary["entities"][kind]]
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "threshold": {"value": threshold, "source": threshold_source},
        "models": [name for name, _ in models.most_common()],
        "model": model_reliability(meta),
        "corpus": {
            "documents": len(articles),
            "errors": len(errors),
            **corpus_summary,
            "rankings": {
                "anonymous": _ranking(articles, "anonymous", top),
                "speculation": _ranking(articles, "speculation", top),
                "entities_by_speculation": sorted(
                    (e for e in entities if e["counts"]["speculation"]),
                    key=lambda e: (-e["speculation_score"], -e["claims"], e["text"].casefold()),
                )[:top],
            },
        },
        "articles": articles,
        "errors": errors,
    }


def _ranking(articles: list[dict], what: str, top: int) -> list[dict]:
    rows = []
    for article in articles:
        if what == "anonymous":
            count = article["sources"]["anonymous_claims"]
            share = article["sources"]["anonymous_claim_share"]
        else:
            count = article["labels"]["speculation"]["count"]
            share = article["labels"]["speculation"]["share"]
        if count:
            rows.append({"doc_id": article["doc_id"], "count": count, "claims": article["claims"], "share": share})
    rows.sort(key=lambda r: (-r["share"], -r["count"], r["doc_id"]))
    return rows[:top]
