"""Open every page of the built site in headless Chromium: what does a reader see?

    python tests/site_check.py _build/html [--screenshot PATH]

Fails (exit 1) if, on any page: math is left unrendered (raw $$, \\( or \\[ visible in
the text), an image fails to load, a request leaves the local host, the page logs a
JavaScript error, or an internal link (or its #anchor) is broken, or a page weighs more
than 2 MB (HTML + its images; each chapter page's weight is reported), or axe-core finds
a serious or critical accessibility violation, or a code cell (or package source a cell
prints with show_source) scrolls sideways at a 1280-pixel window. Every frame explorer
(lectures_lib.page.widgets.explore_frames) is driven like a reader would: each slider
and dropdown is moved through all its positions, and the picture shown must change and
be the frame precomputed for that position (as stored in the page's widget state). Uses
Debian's chromium via Playwright (no browser download); axe-core comes from
site/node_modules (npm ci in site/).
"""

from __future__ import annotations

import argparse
import functools
import html
import http.server
import json
import re
import sys
import threading
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGE_LIMIT_BYTES = 2 * 1024 * 1024
AXE_JS = (
    Path(__file__).resolve().parent.parent
    / "site"
    / "node_modules"
    / "axe-core"
    / "axe.min.js"
)
AXE_BLOCKING = ("serious", "critical")
RAW_MATH = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{")

# Visible text outside code blocks, after MathJax has typeset the page.
VISIBLE_TEXT_JS = """() => {
  const body = document.querySelector('main') || document.body;
  const clone = body.cloneNode(true);
  const hidden = 'pre, code, .highlight, script, style, mjx-container, .cell_input';
  clone.querySelectorAll(hidden).forEach(e => e.remove());
  return clone.innerText;
}"""
IMAGES_JS = """() => Array.from(document.images).map(i => ({src: i.currentSrc || i.src,
  ok: i.complete && i.naturalWidth > 0, alt: i.getAttribute('alt')}))"""
LINKS_JS = "() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"
MATH_JS = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  return {spans: document.querySelectorAll('.math, span.math, div.math').length,
          typeset: document.querySelectorAll('mjx-container').length};
}"""


# axe-core on the whole page except the code cells' inputs: their syntax-highlighting
# spans are half of a chapter page's elements and a third of axe's time, and the one
# thing to check in them, the contrast of each token colour, CODE_CONTRAST_JS checks
# once per colour. (Excluding the spans one by one instead is several times slower.)
# Inputs never scroll sideways (CODE_WIDTH_JS); outputs stay under axe.
AXE_RUN_JS = """async () => {
  const result = await axe.run({exclude: [['div.cell_input']]},
                               {resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map(n => n.target.join(' '))}));
}"""

# WCAG 2 contrast of every token colour in the code inputs against the code background,
# one measurement per (class, colour): a list of those under 4.5 (WCAG AA, normal text).
CODE_CONTRAST_JS = """() => {
  const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = c => {
    const lin = v => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    const [r, g, b] = rgb(c);
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  const background = e => {
    for (; e; e = e.parentElement) {
      const c = getComputedStyle(e).backgroundColor, v = rgb(c);
      if (v.length === 3 || (v.length === 4 && v[3] > 0)) return c;
    }
    return 'rgb(255, 255, 255)';
  };
  const seen = new Set(), low = [];
  const inputs = document.querySelectorAll('div.cell_input pre');
  let checked = 0;
  for (const pre of inputs) {
    const bg = background(pre);
    for (const span of [pre, ...pre.querySelectorAll('span')]) {
      const key = span.className + '|' + bg;
      if (seen.has(key) || !span.textContent.trim()) continue;
      seen.add(key);
      const fg = getComputedStyle(span).color;
      const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      const ratio = (a + 0.05) / (b + 0.05);
      checked += 1;
      if (ratio < 4.5) low.push({token: span.className || 'plain', fg, bg, ratio});
    }
  }
  return {inputs: inputs.length, checked, low};
}"""

# Code a reader reads without scrolling sideways. Folded inputs (hide-input) are
# unfolded to be measured, then folded again. Every code input must fit; an output must
# fit if its cell prints package source (show_source); other outputs, such as wide
# result tables, may scroll and are listed in the report.
CODE_WIDTH_JS = """() => {
  const folded = [...document.querySelectorAll('details:not([open])')];
  folded.forEach(d => d.open = true);
  const scrolls = e => e.scrollWidth > e.clientWidth + 1;
  const longest = e => e.innerText.split('\\n')
    .reduce((a, b) => b.length > a.length ? b : a, '');
  const cells = [...document.querySelectorAll('div.cell')];
  const result = {inputs: 0, sources: 0,
                  wideInputs: [], wideSources: [], wideOutputs: []};
  cells.forEach((cell, index) => {
    const input = cell.querySelector('div.cell_input pre');
    if (!input) return;
    result.inputs += 1;
    if (scrolls(input)) result.wideInputs.push({index, line: longest(input)});
    const showsSource = input.innerText.includes('show_source(');
    for (const out of cell.querySelectorAll('div.cell_output pre')) {
      if (showsSource) result.sources += 1;
      if (!scrolls(out)) continue;
      const list = showsSource ? result.wideSources : result.wideOutputs;
      list.push({index, line: longest(out)});
    }
  });
  folded.forEach(d => d.open = false);
  return result;
}"""


# The frame explorers: each control's label and shown value, and the one picture shown.
EXPLORERS_JS = """() => {
  const text = e => e.textContent.trim();
  const control = c => {
    const select = c.querySelector('select');
    return {
      kind: select ? 'dropdown' : 'slider',
      label: text(c.querySelector('.widget-label')),
      value: select ? text(select.selectedOptions[0])
                    : text(c.querySelector('.widget-readout')),
      options: select ? Array.from(c.querySelectorAll('option')).map(o => o.value)
                      : null};
  };
  const explorers = document.querySelectorAll('.course-frame-explorer');
  return Array.from(explorers).map(e => ({
    controls: Array.from(e.querySelectorAll('.widget-slider, .widget-dropdown'))
      .map(control),
    shown: Array.from(e.querySelectorAll('img.course-frame'))
      .filter(i => i.offsetParent !== null)
      .map(i => ({alt: i.alt, src: i.getAttribute('src')}))}));
}"""
FRAME_IMG = re.compile(r'<img class="course-frame" src="([^"]+)" alt="([^"]*)">')


def stored_frames(page_html: str) -> dict[str, str]:
    """alt text -> image source of every precomputed frame in the page's widget
    state."""
    frames: dict[str, str] = {}
    for block in re.findall(
        r'<script type="application/vnd\.jupyter\.widget-state\+json">(.*?)</script>',
        page_html,
        re.S,
    ):
        for model in json.loads(block)["state"].values():
            value = model.get("state", {}).get("value")
            if model.get("model_name") == "HTMLModel" and isinstance(value, str):
                frames.update(
                    {html.unescape(alt): src for src, alt in FRAME_IMG.findall(value)}
                )
    return frames


def _position(controls: list[dict]) -> str:
    return "(" + ", ".join(f"{c['label']} = {c['value']}" for c in controls) + ")"


def _shown_frame(
    page, index: int, frames: dict[str, str], seen: str | None
) -> tuple[str | None, list[str]]:
    """The source of explorer ``index``'s picture, and what is wrong with it."""
    explorer = page.evaluate(EXPLORERS_JS)[index]
    where = f"explorer {index + 1} at {_position(explorer['controls'])}"
    if len(explorer["shown"]) != 1:
        return None, [f"{where}: {len(explorer['shown'])} pictures shown, expected 1"]
    shown = explorer["shown"][0]
    problems = []
    if not shown["alt"].endswith(" " + _position(explorer["controls"])):
        problems.append(f"{where}: the picture shown is {shown['alt']!r}")
    elif frames.get(shown["alt"]) != shown["src"]:
        problems.append(f"{where}: the picture differs from the precomputed frame")
    if seen is not None and shown["src"] == seen:
        problems.append(f"{where}: the picture did not change when the control moved")
    return shown["src"], problems


def drive_explorers(page, page_html: str) -> tuple[list[str], list[str]]:
    """Move every control of every frame explorer through its positions.

    Returns (report lines, problems)."""
    frames = stored_frames(page_html)
    report, problems = [], []
    for index, explorer in enumerate(page.evaluate(EXPLORERS_JS)):
        seen, found = _shown_frame(page, index, frames, None)
        problems += found
        sizes = []
        for number, control in enumerate(explorer["controls"]):
            box = (
                page.locator(".course-frame-explorer")
                .nth(index)
                .locator(".widget-slider, .widget-dropdown")
                .nth(number)
            )
            if control["kind"] == "dropdown":
                positions = control["options"]
                for option in [o for o in positions if o != control["value"]]:
                    box.locator("select").select_option(option)
                    seen, found = _shown_frame(page, index, frames, seen)
                    problems += found
                box.locator("select").select_option(
                    control["value"]
                )  # back where it was
            else:
                handle = box.locator(".noUi-handle")
                handle.focus()
                page.keyboard.press("Home")
                seen, found = _shown_frame(page, index, frames, None)
                problems += found
                positions = [seen]
                while True:
                    before = page.evaluate(EXPLORERS_JS)[index]["controls"][number][
                        "value"
                    ]
                    page.keyboard.press("ArrowRight")
                    if (
                        page.evaluate(EXPLORERS_JS)[index]["controls"][number]["value"]
                        == before
                    ):
                        break  # the last position
                    seen, found = _shown_frame(page, index, frames, seen)
                    problems += found
                    positions.append(seen)
            sizes.append(f"{control['label']} {len(positions)}")
        report.append(f"explorer {index + 1}: {' x '.join(sizes)} positions")
    if report:
        report.append(f"{len(frames)} precomputed frames in the page")
    return report, problems


def code_width(page, rel: str) -> list[str]:
    """No code input and no printed package source scrolls sideways; report the
    outputs that do (wide result tables)."""
    width = page.evaluate(CODE_WIDTH_JS)
    if not width["inputs"]:
        return []
    print(
        f"    {rel}: {width['inputs']} code cells and {width['sources']} printed "
        f"sources fit; {len(width['wideOutputs'])} wide outputs scroll (result tables)"
    )
    for wide in width["wideOutputs"]:
        print(f"      cell {wide['index']}: {wide['line'].strip()[:70]!r}")
    return [
        f"{kind} of cell {wide['index']} scrolls sideways at 1280 pixels: "
        f"{wide['line'].strip()[:60]!r} ({len(wide['line'])} characters)"
        for kind, key in (("code", "wideInputs"), ("printed source", "wideSources"))
        for wide in width[key]
    ]


def accessibility(page) -> list[str]:
    """axe-core's serious and critical violations on the page, and code token colours
    under WCAG AA contrast, one line each."""
    page.add_script_tag(path=str(AXE_JS))
    problems = [
        f"accessibility ({v['impact']}) {v['id']}: {v['help']} - "
        f"{len(v['targets'])} element(s), e.g. {v['targets'][0]}"
        for v in page.evaluate(AXE_RUN_JS)
        if v["impact"] in AXE_BLOCKING
    ]
    contrast = page.evaluate(CODE_CONTRAST_JS)
    if contrast["inputs"] and not contrast["checked"]:  # the check must not pass empty
        problems.append(
            f"{contrast['inputs']} code inputs but no token colour measured "
            "(has the highlighting markup changed?)"
        )
    return problems + [
        f"accessibility (serious) color-contrast: code token '{low['token']}' "
        f"{low['fg']} on {low['bg']} has contrast {low['ratio']:.2f}, under 4.5"
        for low in contrast["low"]
    ]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(root: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


@functools.lru_cache(maxsize=None)
def _ids(path: Path) -> frozenset[str]:
    text = path.read_text(errors="replace")
    return frozenset(re.findall(r'\sid="([^"]+)"', text)) | frozenset(
        re.findall(r'\sname="([^"]+)"', text)
    )


def check_link(root: Path, base: str, href: str) -> str | None:
    """None if an internal link resolves to an existing file (and anchor); else the
    problem."""
    url = urlparse(href)
    if not href.startswith(base):
        return (
            None  # external links are not loaded by the page; they are not checked here
        )
    rel = unquote(url.path[len(urlparse(base).path) :])
    target = root / rel
    if target.is_dir():
        target = target / "index.html"
    if not target.exists():
        return f"broken link {href} (no file {target.relative_to(root)})"
    if url.fragment and target.suffix == ".html" and url.fragment not in _ids(target):
        return f"broken anchor {href}"
    return None


def page_weight(root: Path, page: Path, images: list[dict], base: str) -> int:
    total = page.stat().st_size
    for img in {i["src"] for i in images}:
        if img.startswith(base):
            f = root / unquote(urlparse(img).path[len(urlparse(base).path) :])
            if f.exists():
                total += f.stat().st_size
    return total


def check_site(root: Path, screenshot: Path | None) -> list[str]:
    from playwright.sync_api import sync_playwright

    pages = sorted(
        p
        for p in root.rglob("*.html")
        if "_vendor" not in p.parts and "_static" not in p.parts
    )
    problems: list[str] = []
    server, base = serve(root)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            off_host: list[str] = []

            def route(
                r,
            ):  # answer local requests; refuse (and record) anything else at once
                if r.request.url.startswith(base) or urlparse(r.request.url).scheme in (
                    "data",
                    "blob",
                ):
                    r.continue_()
                else:
                    off_host.append(r.request.url)
                    r.abort()

            context.route("**/*", route)
            # One tab for every page: each goto is a fresh document, and the tab's
            # renderer keeps the compiled scripts (the widget renderer, MathJax) from
            # page to page, about a quarter of the check's CPU time. The listeners are
            # set once and report into the current page's list.
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(f"JavaScript error: {exc}"))
            page.on(
                "console",
                lambda msg: (
                    errors.append(f"console error: {msg.text}")
                    if msg.type == "error"
                    else None
                ),
            )
            page.on(
                "requestfailed",
                lambda req: (
                    errors.append(f"failed request: {req.url}")
                    if req.url.startswith(base)
                    else None
                ),
            )
            page.on(
                "response",
                lambda resp: (
                    errors.append(f"HTTP {resp.status}: {resp.url}")
                    if resp.status >= 400
                    else None
                ),
            )
            for path in pages:
                rel = path.relative_to(root).as_posix()
                refresh = re.search(
                    r'http-equiv="refresh"[^>]*url=([^"]+)"', path.read_text(), re.I
                )
                if (
                    refresh
                ):  # a redirect stub (the site's index.html): check where it points
                    problem = check_link(
                        root, base, urljoin(base + rel, refresh.group(1))
                    )
                    problems += [f"{rel}: {problem}"] if problem else []
                    continue
                errors.clear()
                off_host.clear()
                page.goto(base + rel, wait_until="load", timeout=120_000)
                math = page.evaluate(MATH_JS)
                page.wait_for_timeout(200)
                errors += [f"request off the local host: {u}" for u in off_host]
                text = page.evaluate(VISIBLE_TEXT_JS)
                raw = RAW_MATH.search(text)
                if raw:
                    start = max(0, raw.start() - 40)
                    errors.append(
                        f"unrendered math near: {text[start : raw.end() + 40]!r}"
                    )
                if math["spans"] and math["typeset"] == 0:
                    errors.append(
                        f"{math['spans']} math elements but nothing typeset by MathJax"
                    )
                images = page.evaluate(IMAGES_JS)
                errors += [
                    f"image failed to load: {i['src']}" for i in images if not i["ok"]
                ]
                errors += [
                    f"image without alt text: {i['src']}"
                    for i in images
                    if i["ok"]
                    and not (i["alt"] or "").strip()
                    and "/_images/" in i["src"]
                ]
                errors += [
                    p
                    for href in page.evaluate(LINKS_JS)
                    if (p := check_link(root, base, href))
                ]
                weight = page_weight(root, path, images, base)
                if weight > PAGE_LIMIT_BYTES:
                    errors.append(f"page weight {weight / 1e6:.2f} MB exceeds 2 MB")
                if rel.startswith("book/") and re.match(r"book/\d\d_", rel):
                    print(
                        f"  {rel}: {weight / 1e6:.2f} MB with images, "
                        f"{math['typeset']} formulas typeset"
                    )
                report, found = drive_explorers(page, path.read_text())
                errors += found
                for line in report:
                    print(f"    {line}")
                errors += accessibility(page)
                errors += code_width(page, rel)
                if screenshot is not None and rel == "book/01_sigmoid_tanh.html":
                    screenshot.parent.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(screenshot), full_page=False)
                problems += [f"{rel}: {e}" for e in dict.fromkeys(errors)]
            page.close()
            browser.close()
    finally:
        server.shutdown()
    print(f"checked {len(pages)} pages")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--screenshot", type=Path, default=None)
    args = parser.parse_args(argv)
    if not (args.root / "index.html").exists():
        print(f"ERROR: no built site at {args.root} (run make book)", file=sys.stderr)
        return 1
    if not AXE_JS.exists():
        print(
            f"ERROR: no axe-core at {AXE_JS} "
            "(run `make vendor`, which runs npm ci in site/)",
            file=sys.stderr,
        )
        return 1
    problems = check_site(args.root.resolve(), args.screenshot)
    for p in problems:
        print("FAIL", p)
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
