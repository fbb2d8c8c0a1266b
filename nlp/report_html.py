"""The report as one self-contained HTML file: highlighted article text and inline SVG charts.

No script, no external resource (a Content-Security-Policy forbids any), so the file reads the
same offline, in any browser, with JavaScript off. Sentence details show on hover or keyboard
focus through CSS alone. The page template and stylesheet are data files in
``nlp/resources/report/``. Needs the report built with ``keep_sentences=True``.
"""
from __future__ import annotations

from functools import lru_cache
from html import escape
from importlib import resources
from string import Template
from typing import Iterable

import nlp
from nlp import LABELS
from nlp.report import counted
from nlp.report_render import LABEL_NAMES, entity_line

LABEL_TITLES = {"reported_fact": "reported fact", "attribution": "attribution", "speculation": "speculation"}
BAR_CLASSES = {"reported_fact": "bar-fact", "attribution": "bar-attr", "speculation": "bar-spec"}
PROB_CLASSES = {"reported_fact": "pf", "attribution": "pa", "speculation": "ps"}
# Highlight opacity grows with confidence from MIN_ALPHA (a coin toss between 3 labels) to
# MAX_ALPHA (certain); kept light so black text stays above WCAG AA contrast on every colour.
MIN_ALPHA, MAX_ALPHA = 0.08, 0.45


@lru_cache(maxsize=None)
def _resource(name: str) -> str:
    return resources.files("nlp").joinpath(f"resources/report/{name}").read_text(encoding="utf-8")


def _pct(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.0f}%"


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def alpha(confidence: float | None) -> float:
    if confidence is None:
        return MIN_ALPHA
    floor = 1 / len(LABELS)
    scaled = min(1.0, max(0.0, (confidence - floor) / (1 - floor)))
    return round(MIN_ALPHA + scaled * (MAX_ALPHA - MIN_ALPHA), 3)


# ----------------------------------------------------------------------------- charts (inline SVG)

def _svg(ident: str, width: int, height: int, title: str, desc: str, body: Iterable[str], css_class: str) -> str:
    return (f'<svg class="{css_class}" role="img" aria-labelledby="{ident}t {ident}d" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
            f'<title id="{ident}t">{escape(title)}</title><desc id="{ident}d">{escape(desc)}</desc>'
            + "".join(body) + "</svg>")


def label_bar(ident: str, summary: dict, width: int = 420) -> str:
    """Shares of the three labels as one stacked bar, with a caption per segment."""
    claims = summary["claims"]
    desc = "; ".join(f"{LABEL_TITLES[l]} {summary['labels'][l]['count']} ({_pct(summary['labels'][l]['share'])})"
                     for l in LABELS)
    body, x = [], 0.0
    if not claims:
        body.append('<text x="0" y="16">no claims</text>')
    for i, label in enumerate(LABELS):
        stats = summary["labels"][label]
        if claims and stats["count"]:
            w = width * stats["count"] / claims
            body.append(f'<rect class="{BAR_CLASSES[label]}" x="{x:.1f}" y="0" width="{w:.1f}" height="22">'
                        f'<title>{LABEL_TITLES[label]}: {stats["count"]} ({_pct(stats["share"])})</title></rect>')
            x += w
        body.append(f'<rect class="{BAR_CLASSES[label]}" x="{i * width / 3:.0f}" y="32" width="10" height="10"/>'
                    f'<text x="{i * width / 3 + 14:.0f}" y="41">{LABEL_NAMES[label]} {stats["count"]} '
                    f'({_pct(stats["share"])})</text>')
    return _svg(ident, width, 48, "Label shares", desc, body, "chart chart-labels")


def confidence_histogram(ident: str, summary: dict, threshold: float, width: int = 360, height: int = 170) -> str:
    bins = summary["confidence_histogram"]
    left, bottom, top = 34, height - 30, 10
    lo, hi = bins[0]["lower"], bins[-1]["upper"]
    peak = max((b["count"] for b in bins), default=0) or 1
    scale_x = lambda v: left + (width - left - 8) * (v - lo) / (hi - lo)  # noqa: E731
    scale_y = lambda n: bottom - (bottom - top) * n / peak  # noqa: E731
    body = [f'<line class="axis" x1="{left}" y1="{bottom}" x2="{width - 8}" y2="{bottom}"/>',
            f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{bottom}"/>',
            f'<text x="{left - 4}" y="{top + 4}" text-anchor="end">{peak}</text>',
            f'<text x="{left - 4}" y="{bottom}" text-anchor="end">0</text>']
    for b in bins:
        x0, x1 = scale_x(b["lower"]) + 1, scale_x(b["upper"]) - 1
        y = scale_y(b["count"])
        css = "bar-low" if b["upper"] <= threshold else "bar-plain"
        body.append(f'<rect class="{css}" x="{x0:.1f}" y="{y:.1f}" width="{x1 - x0:.1f}" height="{bottom - y:.1f}">'
                    f'<title>confidence {b["lower"]:.1f}–{b["upper"]:.1f}: {b["count"]} claims</title></rect>')
        body.append(f'<text x="{scale_x(b["lower"]):.1f}" y="{bottom + 13}" text-anchor="middle">{b["lower"]:.1f}</text>')
    body.append(f'<text x="{scale_x(hi):.1f}" y="{bottom + 13}" text-anchor="middle">{hi:.1f}</text>')
    tx = scale_x(min(max(threshold, lo), hi))
    body.append(f'<line class="thr" x1="{tx:.1f}" y1="{top}" x2="{tx:.1f}" y2="{bottom}"/>'
                f'<text x="{tx + 3:.1f}" y="{top + 10}">threshold {threshold:.2f}</text>')
    body.append(f'<text x="{(left + width) / 2:.0f}" y="{height - 2}" text-anchor="middle">confidence (claims)</text>')
    desc = ", ".join(f"{b['lower']:.1f}–{b['upper']:.1f}: {b['count']}" for b in bins)
    return _svg(ident, width, height, "Confidence histogram", f"Claims per confidence bin: {desc}", body,
                "chart chart-histogram")


def reliability_diagram(ident: str, bins: list[dict], size: int = 260) -> str:
    """Accuracy against confidence on the model's test split; the dashed diagonal is perfect calibration."""
    left, bottom, top, right = 34, size - 30, 8, size - 8
    sx = lambda v: left + (right - left) * v  # noqa: E731
    sy = lambda v: bottom - (bottom - top) * v  # noqa: E731
    body = [f'<line class="axis" x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}"/>',
            f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{bottom}"/>',
            f'<line class="diag" x1="{sx(0)}" y1="{sy(0)}" x2="{sx(1)}" y2="{sy(1)}"/>']
    for tick in (0, 0.5, 1):
        body.append(f'<text x="{sx(tick):.0f}" y="{bottom + 13}" text-anchor="middle">{tick:g}</text>'
                    f'<text x="{left - 4}" y="{sy(tick) + 4:.0f}" text-anchor="end">{tick:g}</text>')
    parts = []
    for b in bins:
        if not b.get("count") or b.get("accuracy") is None:
            continue
        x0, x1, y = sx(b["lower"]) + 1, sx(b["upper"]) - 1, sy(b["accuracy"])
        body.append(f'<rect class="bar-plain" x="{x0:.1f}" y="{y:.1f}" width="{max(x1 - x0, 1):.1f}" '
                    f'height="{bottom - y:.1f}" opacity="0.75"><title>confidence {b["lower"]:.1f}–{b["upper"]:.1f}: '
                    f'accuracy {b["accuracy"]:.2f} over {b["count"]} sentences</title></rect>')
        if b.get("confidence") is not None:
            body.append(f'<circle cx="{sx(b["confidence"]):.1f}" cy="{y:.1f}" r="3" fill="#000"/>')
        parts.append(f"{b['lower']:.1f}–{b['upper']:.1f}: accuracy {b['accuracy']:.2f} (n={b['count']})")
    body.append(f'<text x="{(left + right) / 2:.0f}" y="{size - 2}" text-anchor="middle">confidence → accuracy</text>')
    return _svg(ident, size, size, "Reliability diagram", "; ".join(parts) or "no bins", body, "chart chart-reliability")


def entity_bars(ident: str, entities: list[dict], width: int = 420) -> str:
    """Claims naming each actor or place, stacked by label."""
    if not entities:
        return ""
    row, name_w = 20, 130
    peak = max(e["claims"] for e in entities) or 1
    body = []
    for i, e in enumerate(entities):
        y = i * row
        body.append(f'<text x="{name_w - 6}" y="{y + 14}" text-anchor="end">{escape(e["text"][:22])}</text>')
        x = float(name_w)
        for label in LABELS:
            n = e["counts"][label]
            if n:
                w = (width - name_w - 40) * n / peak
                body.append(f'<rect class="{BAR_CLASSES[label]}" x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row - 6}">'
                            f'<title>{escape(e["text"])}: {n} {LABEL_NAMES[label]}</title></rect>')
                x += w
        body.append(f'<text x="{x + 4:.1f}" y="{y + 14}">{_pct(e["speculation_share"])}</text>')
    desc = "; ".join(entity_line(e) for e in entities)
    return _svg(ident, width, row * len(entities) + 4, "Actors and places by label", desc, body, "chart chart-entities")


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>"


# ----------------------------------------------------------------------------- tables and text

def _table(caption: str, columns: list[str], rows: list[list[str]], numeric: tuple[int, ...] = (), raw: bool = False) -> str:
    cell = (lambda v: v) if raw else escape
    head = "".join(f'<th scope="col"{" class=n" if i in numeric else ""}>{escape(c)}</th>' for i, c in enumerate(columns))
    body = "".join("<tr>" + "".join(f'<td{" class=n" if i in numeric else ""}>{cell(str(v))}</td>'
                                    for i, v in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _labels_table(summary: dict) -> str:
    rows = [[LABEL_TITLES[l], s["count"], _pct(s["share"]), _num(s["mean_confidence"])] for l, s in summary["labels"].items()]
    rows.append(["all claims", summary["claims"], "", _num(summary["mean_confidence"])])
    return _table("Labels", ["label", "claims", "share", "mean confidence"], rows, numeric=(1, 2, 3))


def _sources(summary: dict) -> str:
    s = summary["sources"]
    by_type = ", ".join(f"{escape(k)} {v}" for k, v in s["by_type"].items()) or "none identified"
    if s["attributed_claims"]:
        anonymous = (f"<strong>{s['anonymous_attributed']} of {s['attributed_claims']} attributed claims "
                     f"({_pct(s['anonymous_share'])}) rest on anonymous sources</strong>")
    else:
        anonymous = "no attributed claims"
    return f'<p>Sources of all claims, by type: {by_type}. {anonymous}.</p>'


def _entities(summary: dict, top: int) -> str:
    out = []
    for kind in ("actors", "places"):
        entities = summary["entities"][kind][:top]
        if not entities:
            out.append(f"<p>{kind.capitalize()}: none found.</p>")
            continue
        rows = [[e["text"], *(e["counts"][l] for l in LABELS), _pct(e["speculation_share"])] for e in entities]
        out.append(_table(f"{kind.capitalize()} (claims naming them, by label)",
                          ["name", *(LABEL_NAMES[l] for l in LABELS), "speculative share"], rows, numeric=(1, 2, 3, 4)))
    return "".join(out)


def _tip(sentence: dict, tip_id: str) -> str:
    parts = []
    if sentence["label"] is None:
        parts.append(f"<b>not a claim</b>: {escape(str(sentence['skipped'] or 'skipped'))}")
    else:
        parts.append(f"<b>{LABEL_TITLES[sentence['label']]}</b>, confidence {_num(sentence['confidence'])}"
                     + (" — <b>low confidence</b>" if sentence["low_confidence"] else ""))
        probs = sentence.get("probs") or {}
        # One short element per bar: a thousand articles make tens of thousands of these.
        rows = "".join(f'<span>{LABEL_TITLES[l]}</span><i class={PROB_CLASSES[l]} style=--w:{100 * probs.get(l, 0):.0f}%>'
                       f'</i><span>{_num(probs.get(l))}</span>' for l in LABELS)
        parts.append(f'<span class="probs">{rows}</span>')
    cues = ", ".join(f"{escape(c.get('text', ''))} ({escape(str(c.get('type', '')))})" for c in sentence["cues"])
    parts.append(f"cues: {cues or 'none'}")
    source = sentence.get("source")
    if source:
        parts.append(f"source: {escape(source.get('text', ''))} ({escape(str(source.get('type')))})")
    else:
        parts.append("source: none identified")
    return f'<span class="tip" role="tooltip" id="{tip_id}">' + "<br>".join(parts) + "</span>"


def _sentence_span(sentence: dict, anchor: str) -> str:
    label = sentence["label"]
    classes = ["s", f"s-{label}" if label else "s-skipped"]
    if sentence["low_confidence"]:
        classes.append("low")
    style = f' style="--a:{alpha(sentence["confidence"])}"' if label else ""
    tip_id = f"{anchor}-tip"
    return (f'<span class="{" ".join(classes)}" id="{anchor}" tabindex="0" aria-describedby="{tip_id}"'
            f' data-label="{label or "skipped"}"{style}>{escape(sentence["text"])}{_tip(sentence, tip_id)}</span>')


def article_text(article: dict, anchor: str) -> str:
    """The article with each segment wrapped; the original text between segments is kept when known."""
    text = article.get("text")
    out, cursor = [], 0
    for sentence in article.get("sentences", []):
        start, end = sentence.get("start"), sentence.get("end")
        if text is not None and isinstance(start, int) and start >= cursor:
            out.append(escape(text[cursor:start]))
        elif out:
            # From a classify output file the gaps are unknown: a wide gap was likely a line break.
            gap = (start - cursor) if isinstance(start, int) else 1
            out.append("\n" if gap > 1 else " ")
        out.append(_sentence_span(sentence, f"{anchor}-s{sentence['index']}"))
        if isinstance(end, int):
            cursor = max(cursor, end)
    if text is not None:
        out.append(escape(text[cursor:].rstrip()))
    return f'<div class="article-text" lang="en">{"".join(out).strip()}</div>'


def _legend() -> str:
    samples = "".join(
        f'<span class="s s-{l}" style="--a:{MAX_ALPHA}">{LABEL_TITLES[l]}</span>' for l in LABELS)
    return (f'<div class="legend" aria-label="Legend">{samples}'
            f'<span><span class="ramp"></span> lighter = less confident</span>'
            f'<span class="s s-speculation low" style="--a:{MIN_ALPHA}">low confidence</span>'
            f'<span class="s s-skipped">not a claim</span></div>'
            '<p class="note">Colour and underline style show the label (solid: reported fact, double: attribution, '
            'wavy: speculation); the stronger the colour, the surer the model. Hover over a sentence or focus it with '
            'Tab to see its probabilities, cues and source.</p>')


def _article_section(article: dict, anchor: str, threshold: float, top: int) -> str:
    low = article["low_confidence"]["sentences"]
    low_html = "<p>None.</p>" if not low else "<ol>" + "".join(
        f'<li><a href="#{anchor}-s{s["index"]}">{escape(s["text"])}</a> — {LABEL_TITLES[s["label"]]} '
        f'{_num(s["confidence"])} (' + ", ".join(f"{LABEL_NAMES[l]} {_num((s['probs'] or {}).get(l))}" for l in LABELS) + ")</li>"
        for s in low) + "</ol>"
    return (f'<section class="article" id="{anchor}" aria-labelledby="{anchor}-h">'
            f'<h2 id="{anchor}-h">{escape(article["doc_id"])}</h2>'
            f'<p class="verdict">{escape(article["verdict"])}</p>'
            f'<p class="meta">{article["claims"]} claims, {article["skipped"]} segments that are not claims</p>'
            f'<div class="charts">{_figure(label_bar(f"{anchor}-labels", article), "Label shares")}'
            f'{_figure(confidence_histogram(f"{anchor}-hist", article, threshold), "Confidence of each claim")}</div>'
            f'<h3>Text</h3>{article_text(article, anchor)}'
            f'<h3>Low-confidence sentences (below {threshold:.2f})</h3>{low_html}'
            f'{_labels_table(article)}{_sources(article)}{_entities(article, top)}</section>')


def _reliability(report: dict) -> str:
    model = report["model"]
    if not model:
        return f"<p>Model {escape(', '.join(report['models']) or 'unknown')}: meta.json not found; no evaluation to show.</p>"
    rows = []
    for split in ("dev", "test"):
        entry = model.get(split)
        if entry:
            f1 = entry.get("f1", {})
            rows.append([split, entry.get("sentences", "–"), _num(entry.get("macro_f1")), _num(entry.get("accuracy")),
                         *(_num(f1.get(l)) for l in LABELS), _num(entry.get("ece"), 3)])
    out = _table(f"Model {model['name']} on held-out data",
                 ["split", "sentences", "macro-F1", "accuracy", "F1 fact", "F1 attributed", "F1 speculative", "ECE"],
                 rows, numeric=tuple(range(1, 8)))
    bins = (model.get("test") or {}).get("reliability")
    if bins:
        out += _figure(reliability_diagram("reliability", bins), "Reliability on the test split: bars at the diagonal mean "
                                                  "confidence can be read as a probability")
    else:
        out += "<p class=note>No reliability table in the model's meta.json.</p>"
    return out


def _corpus_section(report: dict, anchors: dict, top: int) -> str:
    corpus = report["corpus"]
    threshold = report["threshold"]["value"]
    rankings = corpus["rankings"]

    def link(doc_id: str) -> str:
        return f'<a href="#{anchors[doc_id]}">{escape(doc_id)}</a>' if doc_id in anchors else escape(doc_id)

    ranking_html = ""
    for key, title, what in (("anonymous", "Most dependent on anonymous sources", "claims of any label on anonymous sources"),
                             ("speculation", "Most speculative articles", "speculative claims")):
        rows = [[link(r["doc_id"]), f"{r['count']} of {r['claims']}", _pct(r["share"])] for r in rankings[key]]
        ranking_html += (_table(title, ["article", what, "share"], rows, numeric=(1, 2), raw=True) if rows
                         else f"<p>{title}: none.</p>")
    ranked = rankings["entities_by_speculation"]
    entity_html = (_figure(entity_bars("corpus-entities", ranked), "Actors and places ranked by how speculative the claims about them "
                                                "are (label after each bar: speculative share)") if ranked
                   else "<p>No actor or place is the subject of a speculative claim.</p>")
    errors = ""
    if report["errors"]:
        errors = _table("Inputs that failed", ["article", "error"],
                        [[e["doc_id"] or "?", f"{e['error']['type']}: {e['error']['message']}"] for e in report["errors"]])
    return (f'<section id="corpus" aria-labelledby="corpus-h"><h2 id="corpus-h">Across '
            f'{counted(corpus["documents"], "article")}</h2>'
            f'<p class="verdict">{escape(corpus["verdict"])}</p>'
            f'<p class="meta">{corpus["claims"]} claims, {corpus["skipped"]} segments that are not claims, '
            f'{corpus["low_confidence"]["count"]} claims below the confidence threshold, {corpus["errors"]} failed inputs</p>'
            f'<div class="charts">{_figure(label_bar("corpus-labels", corpus), "Label shares")}'
            f'{_figure(confidence_histogram("corpus-hist", corpus, threshold), "Confidence of each claim")}</div>'
            f'{_labels_table(corpus)}{_sources(corpus)}{ranking_html}{entity_html}{_entities(corpus, top)}'
            f'<h3>How far to trust the model</h3>{_reliability(report)}{errors}</section>')


def render_html(report: dict, *, top: int = 10, title: str = "claimlens report") -> str:
    anchors = {}
    for i, article in enumerate(report["articles"]):
        anchors.setdefault(article["doc_id"], f"a{i}")
    threshold = report["threshold"]
    corpus = report["corpus"]
    nav = ""
    if len(report["articles"]) > 1:
        nav = ('<nav aria-label="Articles"><ol>' + "".join(
            f'<li><a href="#a{i}">{escape(a["doc_id"])}</a></li>' for i, a in enumerate(report["articles"]))
            + "</ol></nav>")
    header = (f'<p class="meta">{counted(corpus["documents"], "article")} · '
              f'{corpus["claims"]} claims · model '
              f'{escape(", ".join(report["models"]) or "unknown")} · low confidence below {threshold["value"]:.2f} '
              f'({escape(threshold["source"])})</p>{_legend()}{nav}')
    articles = "".join(_article_section(a, f"a{i}", threshold["value"], top) for i, a in enumerate(report["articles"]))
    # Over many articles the overview comes first; for one, its text does.
    corpus_html = _corpus_section(report, anchors, top)
    body = corpus_html + articles if len(report["articles"]) > 1 else articles + corpus_html
    return Template(_resource("report.html")).substitute(
        title=escape(title), css=_resource("report.css"), header=header, body=body, version=nlp.__version__)
