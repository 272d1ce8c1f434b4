#!/usr/bin/env python3
"""The timeline in a real browser: headless Chromium loads `crashdiff timeline SCENARIO -o page.html` and this
script checks what a reader would see (docs/TIMELINE.md):

  rendered     the page loads and no console message or script error appears
  non-blank    the screenshot has more than one colour, among them the witness red and the fill colours of the
               drawn spans (so the SVG itself was painted, not only the page's paragraph)
  witness      the witness marker (g.witness with its ring) and its label are in the DOM
  hand-over    the hand-over line (g.handover) is in the DOM and has a height on screen
  hover        a span's centre is the span itself (nothing covers it) and it carries <title> hover text
  text-fits    the title wraps (the scenario is copied under a file name longer than any frame) and every text
               (title, labels, legend) ends inside the SVG frame

One Chromium run (a few seconds) takes the screenshot and dumps the DOM; a small script, added to a copy of the
page (the page itself has none), writes its measurements into the DOM. The page is checked as written.

--expect-failure is the self-test: with --strip-svg (the SVG removed from the page) the check must fail, so it
exits 0 only if the page loaded and at least one check failed. Exit 2: usage, or Chromium or crashdiff did not
run. Only the Python standard library is used (the PNG is decoded with zlib).
"""
import argparse
import html.parser
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

WITNESS_RGB = (0xFF, 0x17, 0x44)  # kWitnessColour in report/timeline_draw.h
RESULT_ID = "crashdiff-browser-check"

# Added before </body> of a copy of the page. Records script errors and console calls, then measures the SVG.
PROBE = """<script>
(() => {
  const errors = [];
  window.addEventListener('error', e => errors.push('error: ' + e.message));
  for (const level of ['error', 'warn']) {
    const original = console[level];
    console[level] = (...args) => { errors.push(level + ': ' + args.join(' ')); original.apply(console, args); };
  }
  const measure = () => {
    const r = {errors, svg: null, spans: 0, fills: [], hover: null, handover_h: 0, texts: []};
    const svg = document.querySelector('body > svg');
    if (svg) {
      const box = svg.getBoundingClientRect();
      r.svg = {w: box.width, h: box.height, frame: svg.viewBox.baseVal.width};
      const spans = [...svg.querySelectorAll('rect.span')];
      r.spans = spans.length;
      r.fills = [...new Set(spans.map(s => s.getAttribute('fill')))];
      for (const s of spans) {
        const b = s.getBoundingClientRect();
        if (b.width < 4) continue;
        const hit = document.elementFromPoint(b.x + b.width / 2, b.y + b.height / 2);
        const title = s.querySelector(':scope > title');
        if ((hit === s || s.contains(hit)) && title) { r.hover = title.textContent; break; }
      }
      const line = svg.querySelector('g.handover line');
      if (line) r.handover_h = line.getBoundingClientRect().height;
      for (const t of svg.querySelectorAll('text')) {
        const b = t.getBBox();
        r.texts.push({cls: t.getAttribute('class'), x0: b.x, x1: b.x + b.width, text: t.textContent});
      }
    }
    const out = document.createElement('pre');
    out.id = '""" + RESULT_ID + """';
    out.hidden = true;
    out.textContent = JSON.stringify(r);
    document.body.appendChild(out);
  };
  window.addEventListener('load', measure);
})();
</script>
"""


def fail_usage(message):
    print("timeline_browser_check: " + message, file=sys.stderr)
    sys.exit(2)


# ---- PNG: the set of colours of an 8-bit RGB or RGBA, non-interlaced image (what Chromium writes) ----

def png_colours(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    width, height, depth, colour_type, _, _, interlace = header
    if depth != 8 or colour_type not in (2, 6) or interlace:
        raise ValueError("unsupported PNG (depth %d, colour type %d, interlace %d)" % (depth, colour_type, interlace))
    bpp = 3 if colour_type == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    previous = bytearray(stride)
    colours = set()
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        unfilter(kind, line, previous, bpp)
        colours.update(bytes(line[i:i + 3]) for i in range(0, stride, bpp))
        previous = line
    return colours


def unfilter(kind, line, prev, bpp):
    if kind == 0:
        return
    if kind == 2:
        line[:] = bytes((a + b) & 0xFF for a, b in zip(line, prev))
        return
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            up, up_left = prev[i], prev[i - bpp] if i >= bpp else 0
            p = left + up - up_left
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
            pred = left if pa <= pb and pa <= pc else up if pb <= pc else up_left
            line[i] = (line[i] + pred) & 0xFF
        else:
            raise ValueError("bad PNG filter %d" % kind)


def rgb(hex_colour):
    return bytes(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


# ---- the DOM as Chromium serialised it ----

class DomClasses(html.parser.HTMLParser):
    """Counts elements by (tag, class word), and collects the text of <title> children of rect.span."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.count = {}
        self.stack = []
        self.span_titles = []
        self.in_span_title = False
        self.result = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for word in (a.get("class") or "").split():
            self.count[(tag, word)] = self.count.get((tag, word), 0) + 1
        self.stack.append((tag, a))
        if tag == "title" and len(self.stack) > 1:
            parent_tag, parent = self.stack[-2]
            self.in_span_title = parent_tag == "rect" and "span" in (parent.get("class") or "").split()
            if self.in_span_title:
                self.span_titles.append("")

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_span_title = False
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if not self.stack:
            return
        tag, a = self.stack[-1]
        if self.in_span_title:
            self.span_titles[-1] += data
        if tag == "pre" and a.get("id") == RESULT_ID:
            self.result = (self.result or "") + data

    def has(self, tag, cls):
        return self.count.get((tag, cls), 0) > 0


def run_chromium(chromium, page, shot, workdir, timeout):
    cmd = [chromium, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions",
           "--disable-dev-shm-usage", "--hide-scrollbars", "--run-all-compositor-stages-before-draw",
           "--user-data-dir=" + os.path.join(workdir, "profile"), "--enable-logging=stderr", "--v=0",
           "--window-size=1600,1000", "--screenshot=" + shot, "--dump-dom", "file://" + page]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        fail_usage("chromium did not finish in %d s" % timeout)
    return p.stdout, p.stderr


def check(args, workdir):
    # The scenario under a file name longer than any frame (directories named after it), so the title must wrap.
    stem = os.path.splitext(os.path.basename(args.scenario))[0]
    nested = os.path.join(workdir, *[stem] * max(1, 320 // (len(stem) + 1)))
    os.makedirs(nested)
    scenario = os.path.join(nested, os.path.basename(args.scenario))
    shutil.copyfile(args.scenario, scenario)
    page = os.path.join(workdir, "timeline.html")
    made = subprocess.run([args.crashdiff, "timeline", scenario, "-o", page], capture_output=True, text=True)
    if made.returncode != 0:
        fail_usage("crashdiff timeline failed (%d): %s" % (made.returncode, made.stdout + made.stderr))
    with open(page, encoding="utf-8") as f:
        text = f.read()
    if args.strip_svg:
        text = re.sub(r"<svg\b.*</svg>\n?", "", text, flags=re.S)
    if "</body>" not in text:
        fail_usage("no </body> in " + page)
    probed = os.path.join(workdir, "probed.html")
    with open(probed, "w", encoding="utf-8") as f:
        f.write(text.replace("</body>", PROBE + "</body>"))

    shot = os.path.join(workdir, "timeline.png")
    dom, log = run_chromium(args.chromium, probed, shot, workdir, args.timeout)
    parsed = DomClasses()
    parsed.feed(dom)
    if parsed.result is None or not os.path.exists(shot):
        fail_usage("chromium did not load the page or took no screenshot:\n" + log[-3000:])
    r = json.loads(parsed.result)

    results = []

    def expect(name, ok, detail):
        results.append((name, bool(ok), detail))

    console = [l for l in log.splitlines() if ":CONSOLE" in l]
    expect("rendered", not console and not r["errors"] and r["svg"] and r["svg"]["w"] > 0 and r["svg"]["h"] > 0,
           "console: %s; script errors: %s; svg box: %s" % (console, r["errors"], r["svg"]))
    with open(shot, "rb") as f:
        colours = png_colours(f.read())
    painted = [c for c in r["fills"] if rgb(c) in colours]
    expect("non-blank", len(colours) > 1 and rgb("#%02x%02x%02x" % WITNESS_RGB) in colours and len(painted) >= 2,
           "%d colours in the screenshot; witness red %s; span fills painted: %s of %s" %
           (len(colours), "present" if rgb("#%02x%02x%02x" % WITNESS_RGB) in colours else "absent", painted,
            r["fills"]))
    expect("witness", parsed.has("g", "witness") and parsed.has("text", "witness-label"),
           "g.witness: %d, text.witness-label: %d" % (parsed.count.get(("g", "witness"), 0),
                                                        parsed.count.get(("text", "witness-label"), 0)))
    expect("hand-over", parsed.has("g", "handover") and parsed.has("text", "handover-label") and r["handover_h"] > 0,
           "g.handover: %d, line height on screen %.1f px" % (parsed.count.get(("g", "handover"), 0),
                                                                r["handover_h"]))
    expect("hover", parsed.span_titles and all(parsed.span_titles) and r["hover"] and r["hover"].startswith("cpu"),
           "%d rect.span with <title> (%d empty); hover text at a span's centre: %r" %
           (len(parsed.span_titles), parsed.span_titles.count(""), r["hover"]))
    frame = r["svg"]["frame"] if r["svg"] else 0
    outside = [t for t in r["texts"] if t["x0"] < 0 or t["x1"] > frame]
    title_lines = sum(t["cls"] == "title" for t in r["texts"])
    expect("text-fits", r["texts"] and title_lines >= 2 and not outside,
           "%d texts (%d title lines) in a %.0f px frame; outside: %s" % (len(r["texts"]), title_lines, frame, outside))
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--crashdiff", required=True, help="the crashdiff binary")
    ap.add_argument("--chromium", required=True, help="the chromium binary")
    ap.add_argument("--scenario", required=True, help="a scenario or reproducer to draw")
    ap.add_argument("--strip-svg", action="store_true", help="remove the SVG from the page before loading it")
    ap.add_argument("--expect-failure", action="store_true", help="self-test: succeed only if a check fails")
    ap.add_argument("--keep", metavar="DIR", help="work in DIR and keep the page, screenshot and DOM there")
    ap.add_argument("--timeout", type=int, default=25, help="seconds Chromium may take (default 25)")
    args = ap.parse_args()
    for path in (args.crashdiff, args.chromium, args.scenario):
        if not os.path.exists(path):
            fail_usage("no such file: " + path)

    workdir = args.keep or tempfile.mkdtemp(prefix="crashdiff-browser-")
    os.makedirs(workdir, exist_ok=True)
    try:
        results = check(args, workdir)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    for name, ok, detail in results:
        print("%s %-11s %s" % ("ok  " if ok else "FAIL", name, detail))
    failed = [name for name, ok, _ in results if not ok]
    if args.expect_failure:
        print("self-test: %s" % ("the check failed as it must (%s)" % ", ".join(failed) if failed
                                 else "every check passed, but this page must fail"))
        return 0 if failed else 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
