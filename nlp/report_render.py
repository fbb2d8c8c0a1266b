"""Rendering a report (``nlp.report.build_report``) as a terminal table, Markdown or JSON.

The table and Markdown views are built from one list of blocks (headings, lines, tables) so
both say the same thing; only the styling differs.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterator, TextIO

from nlp import LABELS
from nlp.output import terminal_text
from nlp.report import counted

LABEL_NAMES = {"reported_fact": "reported", "attribution": "attributed", "speculation": "speculative"}
LABEL_STYLES = {"reported_fact": "green", "attribution": "cyan", "speculation": "magenta"}


@dataclass
class Heading:
    level: int
    text: str


@dataclass
class Line:
    text: str


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]]
    numeric: tuple[int, ...] = ()  # right-aligned columns
    wrap: int | None = None  # the one column that wraps and takes the spare width
    compact: bool = False  # drawn as aligned text in the terminal (per-article tables)


@dataclass
class Items:
    title: str
    items: list[str]


def _pct(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.0f}%"


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def entity_line(entity: dict) -> str:
    """"Russia: 3 reported, 2 attributed, 5 speculative"."""
    counts = ", ".join(f"{entity['counts'][label]} {LABEL_NAMES[label]}" for label in LABELS)
    return f"{entity['text']}: {counts}"


def _labels_table(summary: dict, compact: bool = False) -> Table:
    rows = [[label, str(s["count"]), _pct(s["share"]), _num(s["mean_confidence"])]
            for label, s in summary["labels"].items()]
    rows.append(["all claims", str(summary["claims"]), "", _num(summary["mean_confidence"])])
    return Table("Labels", ["label", "claims", "share", "mean confidence"], rows, numeric=(1, 2, 3), compact=compact)


def _sources_line(summary: dict) -> Line:
    sources = summary["sources"]
    by_type = ", ".join(f"{kind} {count}" for kind, count in sources["by_type"].items()) or "none identified"
    anonymous = (f"{sources['anonymous_attributed']} of {sources['attributed_claims']} attributed claims "
                 f"({_pct(sources['anonymous_share'])}) rest on anonymous sources")
    if not sources["attributed_claims"]:
        anonymous = "No attributed claims"
    elif not sources["attributed_with_source"]:
        anonymous += " (no source identified for any attributed claim)"
    return Line(f"Sources of all claims: {by_type}. {anonymous}.")


def _entity_blocks(summary: dict, top: int) -> Iterator[object]:
    for kind in ("actors", "places"):
        entities = summary["entities"][kind]
        if not entities:
            yield Line(f"{kind.capitalize()}: none found")
            continue
        items = [entity_line(e) for e in entities[:top]]
        if len(entities) > top:
            items.append(f"… and {len(entities) - top} more")
        yield Items(f"{kind.capitalize()} (claims naming them, by label):", items)


def _histogram_table(summary: dict) -> Table:
    counts = [b["count"] for b in summary["confidence_histogram"]]
    peak = max(counts) or 1
    rows = [[f"{b['lower']:.1f}–{b['upper']:.1f}", str(b["count"]), "█" * round(20 * b["count"] / peak)]
            for b in summary["confidence_histogram"]]
    return Table("Confidence", ["confidence", "claims", ""], rows, numeric=(1,))


def article_blocks(article: dict, threshold: float, top: int) -> Iterator[object]:
    yield Heading(2, article["doc_id"])
    yield Line(f"Verdict: {article['verdict']}")
    yield Line(f"{counted(article['claims'], 'claim')}, {counted(article['skipped'], 'skipped segment')}")
    yield _labels_table(article, compact=True)
    yield _sources_line(article)
    low = article["low_confidence"]
    if low["sentences"]:
        rows = [[str(s["index"]), s["label"], _num(s["confidence"]),
                 " / ".join(_num((s["probs"] or {}).get(label)) for label in LABELS), s["text"]]
                for s in low["sentences"]]
        yield Table(f"Low-confidence sentences (confidence < {threshold:.2f})",
                    ["#", "label", "conf", "p(fact / attr / spec)", "sentence"], rows, numeric=(0, 2), wrap=4,
                    compact=True)
    else:
        yield Line(f"Low-confidence sentences (confidence < {threshold:.2f}): none")
    yield from _entity_blocks(article, top)


def _reliability_blocks(model: dict | None, models: list[str]) -> Iterator[object]:
    yield Heading(2, "Model reliability")
    if not model:
        names = ", ".join(models) or "unknown"
        yield Line(f"Model {names}: its meta.json was not found, so its evaluation cannot be shown.")
        return
    rows = []
    for split in ("dev", "test"):
        entry = model.get(split)
        if not entry:
            continue
        f1 = entry.get("f1", {})
        rows.append([split, str(entry.get("sentences", "–")), _num(entry.get("macro_f1")), _num(entry.get("accuracy")),
                     *(_num(f1.get(label)) for label in LABELS), _num(entry.get("ece"), 3)])
    yield Table(f"Model {model['name']} on held-out data",
                ["split", "sentences", "macro-F1", "accuracy", "F1 fact", "F1 attr", "F1 spec", "ECE"],
                rows, numeric=tuple(range(1, 8)))
    bins = (model.get("test") or {}).get("reliability")
    if bins:
        yield Table("Reliability on the test split (is a 0.8-confidence label right 80% of the time?)",
                    ["confidence bin", "sentences", "mean confidence", "accuracy"],
                    [[f"{b['lower']:.1f}–{b['upper']:.1f}", str(b.get("count", "–")), _num(b.get("confidence")),
                      _num(b.get("accuracy"))] for b in bins], numeric=(1, 2, 3))
    else:
        yield Line("No reliability table in the model's meta.json.")


def corpus_blocks(report: dict, top: int) -> Iterator[object]:
    corpus = report["corpus"]
    threshold = report["threshold"]
    yield Heading(1, f"Across {counted(corpus['documents'], 'article')}")
    yield Line(f"Verdict: {corpus['verdict']}")
    yield Line(f"{counted(corpus['claims'], 'claim')}, {counted(corpus['skipped'], 'skipped segment')}, "
               f"{counted(corpus['errors'], 'failed input')}; "
               f"{counted(corpus['low_confidence']['count'], 'claim')} below the confidence threshold {threshold['value']:.2f} "
               f"({threshold['source']})")
    yield _labels_table(corpus)
    yield _histogram_table(corpus)
    yield _sources_line(corpus)
    rankings = corpus["rankings"]
    for key, title, what in (("anonymous", "Most dependent on anonymous sources", "claims of any label on anonymous sources"),
                             ("speculation", "Most speculative articles", "speculative claims")):
        rows = [[r["doc_id"], f"{r['count']} of {r['claims']}", _pct(r["share"])] for r in rankings[key]]
        if rows:
            yield Table(title, ["article", what, "share"], rows, numeric=(1, 2))
        else:
            yield Line(f"{title}: none")
    rows = [[e["text"], e["label"].lower(), *(str(e["counts"][label]) for label in LABELS),
             _pct(e["speculation_share"])] for e in rankings["entities_by_speculation"]]
    if rows:
        yield Table("Actors and places ranked by how speculative the claims about them are",
                    ["name", "kind", *(LABEL_NAMES[l] for l in LABELS), "speculative share"], rows,
                    numeric=(2, 3, 4, 5))
    else:
        yield Line("Actors and places with speculative claims: none")
    yield from _entity_blocks(corpus, top)
    yield from _reliability_blocks(report["model"], report["models"])
    if report["errors"]:
        yield Table("Inputs that failed", ["article", "error"],
                    [[e["doc_id"] or "?", f"{e['error']['type']}: {e['error']['message']}"] for e in report["errors"]],
                    wrap=1)


def report_blocks(report: dict, top: int = 10) -> Iterator[object]:
    threshold = report["threshold"]["value"]
    for article in report["articles"]:
        yield from article_blocks(article, threshold, top)
    yield from corpus_blocks(report, top)


def render_json(report: dict, stream: TextIO) -> None:
    articles = [{k: v for k, v in a.items() if k not in ("sentences", "text")} for a in report["articles"]]
    # One line: json.dumps without indent is the C encoder, 3x faster on a thousand articles (use jq to read).
    stream.write(json.dumps({**report, "articles": articles}, ensure_ascii=False, allow_nan=False) + "\n")


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(report: dict, stream: TextIO, top: int = 10) -> None:
    stream.write("# claimlens report\n\n")
    for block in report_blocks(report, top):
        if isinstance(block, Heading):
            stream.write(f"{'#' * (block.level + 1)} {_md_cell(block.text)}\n\n")
        elif isinstance(block, Line):
            stream.write(f"{block.text}\n\n")
        elif isinstance(block, Items):
            stream.write(f"{block.title}\n\n" + "".join(f"- {item}\n" for item in block.items) + "\n")
        else:
            stream.write(f"**{_md_cell(block.title)}**\n\n")
            stream.write("| " + " | ".join(_md_cell(c) or " " for c in block.columns) + " |\n")
            stream.write("|" + "|".join("---:" if i in block.numeric else "---" for i in range(len(block.columns))) + "|\n")
            for row in block.rows:
                stream.write("| " + " | ".join(_md_cell(c) for c in row) + " |\n")
            stream.write("\n")


ANSI = {"bold": "1", "dim": "2", "green": "32", "cyan": "36", "magenta": "35"}


class _Styled:
    """Styled text for article sections, written straight to the console's file.

    Going through rich costs about a millisecond per line, which over a thousand articles is
    longer than the whole aggregation; these sections need only bold, dim and three colours.
    """

    def __init__(self):
        self.parts: list[str] = []

    def append(self, text: str, style: str = "") -> "_Styled":
        self.parts.append((terminal_text(text), style))
        return self

    def __bool__(self) -> bool:
        return bool(self.parts)

    def render(self, colour: bool) -> str:
        if not colour:
            return "".join(text for text, _ in self.parts)
        return "".join(f"\x1b[{ANSI[style]}m{text}\x1b[0m" if style in ANSI and text.strip() else text
                       for text, style in self.parts)


def _plain_table(block: Table, text: _Styled) -> None:
    """A compact table as aligned text lines; the wrapping column goes on its own indented line."""
    columns = [i for i in range(len(block.columns)) if i != block.wrap]
    widths = {i: max(len(block.columns[i]), *(len(row[i]) for row in block.rows)) for i in columns}

    def cells(row: list[str], header: bool = False) -> None:
        for n, i in enumerate(columns):
            value = row[i]
            padded = value.rjust(widths[i]) if i in block.numeric else value.ljust(widths[i])
            style = "bold" if header else LABEL_STYLES.get(value, "")
            text.append(("  " if n else "  ") + padded, style=style)
        text.append("\n")
        if block.wrap is not None and not header:
            text.append(f"      {row[block.wrap]}\n")

    text.append(block.title, style="bold").append("\n")
    cells(block.columns, header=True)
    for row in block.rows:
        cells(row)


def render_table(report: dict, console, top: int = 10) -> None:
    """The report for a person at a terminal (``console``: a rich Console).

    Article sections are written as plain styled text, left to the terminal to wrap (see
    ``_Styled``); the corpus section uses rich tables.
    """
    from rich.table import Table as RichTable
    from rich.text import Text

    from nlp.output import table_cell

    pending = _Styled()

    colour = console.is_terminal and console.color_system is not None

    def flush() -> None:
        nonlocal pending
        if pending:
            console.file.write(pending.render(colour))
            console.file.flush()
            pending = _Styled()

    for block in report_blocks(report, top):
        if isinstance(block, Heading):
            if block.level == 1:
                flush()
                console.rule(Text(terminal_text(block.text), style="bold"), style="bold")
            else:
                # Drawn by hand: console.rule is slow enough to matter once per article.
                width = max(20, console.width - len(block.text) - 6)
                pending.append("─── ", style="dim").append(block.text, style="bold").append(" " + "─" * width, style="dim").append("\n")
        elif isinstance(block, Line):
            pending.append(block.text, style="bold" if block.text.startswith("Verdict:") else "").append("\n")
        elif isinstance(block, Items):
            pending.append(block.title + "\n")
            for item in block.items:
                pending.append(f"  • {item}\n")
        elif block.compact:
            _plain_table(block, pending)
        else:
            flush()
            table = RichTable(title=table_cell(block.title), title_justify="left", expand=False)
            for i, column in enumerate(block.columns):
                # Every column may wrap between words, so a narrow terminal wraps headers and names instead
                # of cutting numbers to "0.0…"; the wrap column takes the spare width.
                table.add_column(table_cell(column), justify="right" if i in block.numeric else "left",
                                 ratio=1 if i == block.wrap else None)
            for row in block.rows:
                table.add_row(*(f"[{LABEL_STYLES[c]}]{c}[/]" if c in LABEL_STYLES else table_cell(c) for c in row))
            console.print(table)
    flush()
