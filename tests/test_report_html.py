"""The HTML report in a real headless Chromium: highlighted sentences, charts, details on hover/focus, no network.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``), so no
extra Python package is needed. Screenshots go to ``artifacts/`` (git-ignored). The browser
tests skip, saying why, only when no Chromium can be found (``.ci/run`` installs Debian's).
"""
from __future__ import annotations

import fcntl
import json
import os
import queue
import re
import shutil
import struct
import subprocess
import threading
import time
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nlp.cli import app
from nlp.report import build_report
from nlp.report_html import render_html

DATA = Path(__file__).resolve().parent / "data"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--no-default-browser-check", "--mute-audio",
         "--hide-scrollbars", "--remote-debugging-pipe")
TIMEOUT = 30.0


def find_browser() -> str | None:
    if os.environ.get("CLAIMLENS_CHROMIUM"):
        return os.environ["CLAIMLENS_CHROMIUM"]
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def records() -> list[dict]:
    with open(DATA / "report_records.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


# ----------------------------------------------------------------------------- without a browser

def test_html_is_self_contained():
    page = render_html(build_report(records(), keep_sentences=True))
    assert "<script" not in page.lower()
    assert re.search(r'http-equiv="Content-Security-Policy" content="default-src \'none\'', page)
    # The only URL is the SVG namespace, an identifier that is never fetched.
    assert set(re.findall(r"https?://[^\s\"')]+", page)) <= {"http://www.w3.org/2000/svg"}
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?!#)""", page)
    assert "@import" not in page and "url(" not in page


class _ArticleText(HTMLParser):
    """The article text as a reader sees it: the first .article-text, without the (hidden) tooltips."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = self.tip_depth = 0
        self.inside = self.done = False
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag in ("br", "wbr", "img"):
            return  # void elements have no end tag
        if self.inside:
            self.depth += 1
            if "tip" in classes and not self.tip_depth:
                self.tip_depth = self.depth
        elif "article-text" in classes and not self.done:
            self.inside, self.depth = True, 0

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if self.depth == self.tip_depth:
            self.tip_depth = 0
        if self.depth == 0:
            self.inside, self.done = False, True
        self.depth -= 1

    def handle_data(self, data):
        if self.inside and not self.tip_depth:
            self.text.append(data)


def visible_article_text(page: str) -> str:
    parser = _ArticleText()
    parser.feed(page)
    return "".join(parser.text)


@pytest.mark.parametrize("text_known", [True, False])
def test_html_keeps_every_segment_in_order(text_known):
    rows = records()
    article_records = [r for r in rows if r.get("doc_id") == "nk_sanatoriums"]
    text = None
    if text_known:
        size = article_records[-1]["end"]
        chars = [" "] * size
        for r in article_records:
            chars[r["start"]:r["end"]] = r["text"]
        text = "".join(chars)
    report = build_report(article_records, keep_sentences=True, texts={"nk_sanatoriums": text} if text else None)
    page = render_html(report)
    spans = re.findall(r'<span class="s [^"]*" id="a0-s(\d+)"[^>]*data-label="([a-z_]+)"', page)
    assert [int(i) for i, _ in spans] == [r["index"] for r in article_records]
    assert [label for _, label in spans] == [r["label"] or "skipped" for r in article_records]
    shown = visible_article_text(page)
    if text_known:
        assert shown == text.strip()
    else:
        assert shown.split() == " ".join(r["text"] for r in article_records).split()


def test_html_without_model_metadata_or_claims():
    report = build_report([{"doc_id": "empty", "index": 0, "start": 0, "end": 5, "text": "Photo", "label": None,
                            "skipped": "photo credit", "confidence": None, "probs": None, "cues": [],
                            "source": None, "entities": [], "quote": None, "model": None}], keep_sentences=True)
    page = render_html(report)
    assert "no claims" in page and "meta.json not found" in page


# ----------------------------------------------------------------------------- in Chromium

class DevTools:
    """A minimal DevTools-protocol client over Chromium's debugging pipe (fd 3 in, fd 4 out)."""

    def __init__(self, binary: str, profile: Path):
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()
        # Moved above any fd the child might already use, then placed at 3 and 4 in the child.
        child_in = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD_CLOEXEC, 100)
        child_out = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD_CLOEXEC, 100)
        os.close(to_browser_r)
        os.close(from_browser_w)

        def place_pipes():
            os.dup2(child_in, 3)
            os.dup2(child_out, 4)

        self.process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            # close_fds=False: the fds placed at 3 and 4 must survive; everything else is close-on-exec.
            preexec_fn=place_pipes, close_fds=False,
        )
        os.close(child_in)
        os.close(child_out)
        self.writer = os.fdopen(to_browser_w, "wb")
        self.reader = os.fdopen(from_browser_r, "rb")
        self.messages: queue.Queue = queue.Queue()
        self.events: list[dict] = []
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        buffer = b""
        while chunk := self.reader.read1(65536):
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for message in messages:
                self.messages.put(json.loads(message))

    def send(self, method: str, session: str | None = None, **params) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self.writer.write(json.dumps(message).encode() + b"\0")
        self.writer.flush()
        deadline = time.monotonic() + TIMEOUT
        while True:
            reply = self.messages.get(timeout=max(0.1, deadline - time.monotonic()))
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def wait_for(self, method: str, session: str) -> dict:
        deadline = time.monotonic() + TIMEOUT
        while True:
            for i, event in enumerate(self.events):
                if event.get("method") == method and event.get("sessionId") == session:
                    return self.events.pop(i)
            event = self.messages.get(timeout=max(0.1, deadline - time.monotonic()))
            self.events.append(event)

    def close(self):
        try:
            self.send("Browser.close")
        except Exception:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    binary = find_browser()
    if binary is None:
        pytest.skip("no Chromium found (tried chromium, chromium-browser, google-chrome; set CLAIMLENS_CHROMIUM): "
                    "install Debian's `chromium` package, as .ci/run does")
    devtools = DevTools(binary, tmp_path_factory.mktemp("chromium-profile"))
    try:
        devtools.send("Browser.getVersion")
    except Exception as exc:
        devtools.close()
        pytest.skip(f"{binary} does not start headless here: {exc}")
    yield devtools
    devtools.close()


class Page:
    def __init__(self, devtools: DevTools, url: str):
        self.devtools = devtools
        target = devtools.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = devtools.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for method in ("Page.enable", "Network.enable"):
            devtools.send(method, self.session)
        devtools.send("Emulation.setDeviceMetricsOverride", self.session, width=1280, height=900,
                      deviceScaleFactor=1, mobile=False)
        devtools.send("Page.navigate", self.session, url=url)
        devtools.wait_for("Page.loadEventFired", self.session)

    def js(self, expression: str):
        result = self.devtools.send("Runtime.evaluate", self.session, expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.devtools.events
                if e.get("sessionId") == self.session and e.get("method") == "Network.requestWillBeSent"]

    def screenshot(self, clip: dict | None = None) -> bytes:
        if clip is None:
            size = self.devtools.send("Page.getLayoutMetrics", self.session)["cssContentSize"]
            clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 8000)}
        result = self.devtools.send("Page.captureScreenshot", self.session, format="png", captureBeyondViewport=True,
                                    clip={**clip, "scale": 1})
        import base64

        return base64.b64decode(result["data"])


def png_pixels(data: bytes) -> list[tuple[int, ...]]:
    """Decode an 8-bit RGB/RGBA PNG (what Chromium writes) into a flat list of pixels."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and colour in (2, 6)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw, stride, rows, prev = zlib.decompress(idat), width * channels, [], bytearray(width * channels)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b, c = prev[x], prev[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return [tuple(row[i:i + 3]) for row in rows for i in range(0, stride, channels)]


LABEL_RGB = ((0, 114, 178), (230, 159, 0), (204, 121, 167))  # the stylesheet's Okabe-Ito colours


def _tint_share(pixels) -> float:
    """Share of pixels that are one of the label colours or a tint of it over white (a highlight)."""
    def tinted(p, rgb):
        # Over white, a tint moves each channel from 255 toward the colour in the same proportion.
        weights = [(255 - v) / (255 - c) for v, c in zip(p, rgb) if c < 200]
        return bool(weights) and 0.05 < min(weights) and max(weights) - min(weights) < 0.12
    return sum(1 for p in pixels if any(tinted(p, rgb) for rgb in LABEL_RGB)) / len(pixels)


PAGE_CHECK = """(() => {
  const spans = [...document.querySelectorAll('.article-text .s')];
  const bg = el => getComputedStyle(el).backgroundColor;
  const shown = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  return {
    sentences: spans.length,
    labels: spans.map(s => s.dataset.label),
    highlighted: spans.filter(s => s.dataset.label !== 'skipped' && bg(s) !== 'rgba(0, 0, 0, 0)' && shown(s)).length,
    charts: [...document.querySelectorAll('svg.chart')].filter(shown).map(s => s.getAttribute('class')),
    chartShapes: document.querySelectorAll('svg.chart rect').length,
    tipsHidden: [...document.querySelectorAll('.tip')].every(t => getComputedStyle(t).display === 'none'),
    scripts: document.scripts.length,
  };
})()"""


def _focus_tip(page: Page, selector: str) -> dict:
    return page.js(f"""(() => {{
      const s = document.querySelector({json.dumps(selector)}); s.focus();
      const tip = s.querySelector('.tip');
      return {{display: getComputedStyle(tip).display, text: tip.innerText}};
    }})()""")


def _hover_tip(page: Page, selector: str) -> str:
    box = page.js(f"""(() => {{ const s = document.querySelector({json.dumps(selector)});
        s.scrollIntoView({{block: 'center'}}); document.activeElement && document.activeElement.blur();
        const r = s.getClientRects()[0]; return {{x: r.left + 3, y: r.top + r.height / 2}}; }})()""")
    page.devtools.send("Input.dispatchMouseEvent", page.session, type="mouseMoved", x=box["x"], y=box["y"])
    return page.js(f"getComputedStyle(document.querySelector({json.dumps(selector + ' .tip')})).display")


def test_records_report_in_chromium(browser, tmp_path):
    html = tmp_path / "records.html"
    result = CliRunner().invoke(app, ["report", str(DATA / "report_records.jsonl"), "--format", "html", "-o", str(html)])
    assert result.exit_code == 1, result.output  # the records hold one failed article
    page = Page(browser, html.as_uri())
    state = page.js(PAGE_CHECK)
    expected = [r["label"] or "skipped" for r in records() if "error" not in r]
    assert state["labels"] == expected
    assert state["highlighted"] == sum(label != "skipped" for label in expected)
    assert {"chart chart-labels", "chart chart-histogram", "chart chart-entities"} <= set(state["charts"])
    assert state["chartShapes"] > 10 and state["scripts"] == 0 and state["tipsHidden"]

    # The nk article's "Officials in Seoul said ..." sentence: details on keyboard focus and on hover.
    tip = _focus_tip(page, "#a0-s2")
    assert tip["display"] == "block"
    assert "attribution" in tip["text"] and "0.88" in tip["text"]
    assert "said (reporting_verb)" in tip["text"] and "Officials in Seoul (official_anonymous)" in tip["text"]
    assert _hover_tip(page, "#a1-s2") == "block"

    # More confident, more intense: alpha of the highlight follows confidence.
    alphas = page.js("""[...document.querySelectorAll('.article-text .s-attribution')].map(s =>
        [s.querySelector('.tip').innerText.match(/confidence ([0-9.]+)/)[1] * 1,
         getComputedStyle(s).backgroundColor.match(/[0-9.]+\\)$/)[0].slice(0, -1) * 1])""")
    alphas.sort()
    assert [a for _, a in alphas] == sorted(a for _, a in alphas) and alphas[0][1] < alphas[-1][1]

    assert all(url.startswith(("file:", "data:", "about:")) for url in page.requests()), page.requests()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "report_records.png").write_bytes(page.screenshot())


def test_seed_report_in_chromium(browser, tmp_path, seed_path):
    """Acceptance: `claimlens report seeds/ --format html -o report.html` in headless Chromium."""
    html = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", str(seed_path.parent), "--format", "html", "-o", str(html)])
    assert result.exit_code == 0, result.output
    page = Page(browser, html.as_uri())
    state = page.js(PAGE_CHECK)
    assert state["sentences"] > 10 and state["highlighted"] == sum(l != "skipped" for l in state["labels"])
    assert {"chart chart-labels", "chart chart-histogram"} <= set(state["charts"])

    shot = page.screenshot()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "report_seed.png").write_bytes(shot)
    # The screenshot itself shows them: the text's first claims and a chart, cut out of the page pixels.
    for selector in (".article-text .s-attribution", ".article-text .s-speculation", "svg.chart-labels"):
        box = page.js(f"""(() => {{ const r = document.querySelector('{selector}').getClientRects()[0];
            return {{x: r.left + scrollX, y: r.top + scrollY, width: Math.min(r.width, 300), height: Math.min(r.height, 40)}}; }})()""")
        pixels = png_pixels(page.screenshot(box))
        assert _tint_share(pixels) > 0.3, selector
    assert all(url.startswith(("file:", "data:", "about:")) for url in page.requests()), page.requests()
