#!/usr/bin/python3
"""Open the HTML report in headless Chromium and check that it renders.

Checks, for a report made from the reference backtest (make_report --ref STEM):
  * the file is self-contained (no http(s) URL, no external script, stylesheet or image);
  * the page runs without console errors (Chromium's log, and the page's own error counter);
  * a screenshot has the charts: each chart's box (from the page's data-charts attribute, read
    with --dump-dom) holds enough coloured (non-grey, non-background) pixels.
Then it proves the checks bite: a copy with the price line emptied must fail the pixel check,
and a copy with a throwing script must fail the console check.

usage: check_report_chromium.py MAKE_REPORT_EXE   (env: CT_REF_DIR, CT_DATA_DIR)
Only the Python standard library is used (PNG decoded with zlib).
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

STEM = "binance_BTCUSDT_1d_2017-08-17_2022-10-10"
WINDOW = (1400, 3000)
CHARTS = ["chart-price", "chart-equity", "chart-drawdown", "chart-monthly"]
MIN_COLOURED = 400  # coloured pixels a chart must have (a drawn line has thousands)


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("check_report_chromium: chromium not found; install the Debian package 'chromium' "
             "(cmake/install-deps.sh test)")


def run_chromium(chromium, profile, url, *extra):
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--no-first-run", "--hide-scrollbars", "--force-device-scale-factor=1",
           "--user-data-dir=" + profile, "--window-size=%d,%d" % WINDOW,
           "--enable-logging=stderr", "--v=0"] + list(extra) + [url]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def decode_png(path):
    """Return (width, height, rows) with rows as bytes of RGB(A) pixels (8-bit, non-interlaced)."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, width = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise ValueError("unsupported PNG layout %d/%d/%d" % (depth, ctype, interlace))
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif f == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if (pa <= pb and pa <= pc) else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def coloured_pixels(png, box):
    """Pixels in box (x, y, w, h) whose channels differ by > 40: series, markers, heat cells
    (axes, grid, text and the background are grey)."""
    width, height, bpp, rows = png
    x, y, w, h = box
    count = 0
    for yy in range(max(0, y), min(height, y + h)):
        row = rows[yy]
        for xx in range(max(0, x), min(width, x + w)):
            r, g, b = row[xx * bpp], row[xx * bpp + 1], row[xx * bpp + 2]
            if max(r, g, b) - min(r, g, b) > 40:
                count += 1
    return count


def check_report(chromium, html, workdir):
    """Return a list of problems (empty when the report passes)."""
    problems = []
    text = open(html, encoding="utf-8").read()
    for pat in (r"https?://", r"<link\b", r"<script[^>]+src=", r"<img\b", r"@import", r"url\("):
        if re.search(pat, text):
            problems.append("not self-contained: found %r" % pat)
    url = "file://" + os.path.abspath(html)
    profile = tempfile.mkdtemp(prefix="profile", dir=workdir)
    rc, dom, log = run_chromium(chromium, profile, url, "--dump-dom")
    if rc != 0:
        problems.append("chromium --dump-dom exited with %d: %s" % (rc, log[-2000:]))
        return problems
    for line in log.splitlines():
        if "CONSOLE" in line and ("Uncaught" in line or ":ERROR:" in line):
            problems.append("console error: " + line.strip())
    m = re.search(r'<body[^>]*data-errors="(\d+)"', dom)
    if m:
        problems.append("page reported %s script error(s)" % m.group(1))
    if not re.search(r'<body[^>]*data-ready="1"', dom):
        problems.append("the page script did not finish (no data-ready)")
    m = re.search(r'data-charts="([^"]*)"', dom)
    boxes = {}
    if m:
        for item in m.group(1).split(";"):
            name, _, nums = item.partition(":")
            boxes[name] = tuple(int(v) for v in nums.split(","))
    shot = os.path.join(workdir, "shot.png")
    if os.path.exists(shot):
        os.remove(shot)
    rc, _, log = run_chromium(chromium, profile, url, "--screenshot=" + shot)
    if rc != 0 or not os.path.exists(shot):
        problems.append("chromium --screenshot failed (%d): %s" % (rc, log[-2000:]))
        return problems
    png = decode_png(shot)
    for name in CHARTS:
        if name not in boxes:
            problems.append("%s: not in the page" % name)
            continue
        x, y, w, h = boxes[name]
        if w < 200 or h < 80 or y + h > png[1]:
            problems.append("%s: box %r is too small or outside the screenshot" % (name, boxes[name]))
            continue
        n = coloured_pixels(png, boxes[name])
        print("  %-15s box %-24s coloured pixels %d" % (name, boxes[name], n))
        if n < MIN_COLOURED:
            problems.append("%s: looks empty (%d coloured pixels < %d)" % (name, n, MIN_COLOURED))
    shutil.rmtree(profile, ignore_errors=True)
    return problems


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    make_report = sys.argv[1]
    chromium = find_chromium()
    work = tempfile.mkdtemp(prefix="ct_report_")
    try:
        html = os.path.join(work, "report.html")
        subprocess.run([make_report, "--ref", STEM, "--html", html], check=True, timeout=120)
        print("report: %d bytes" % os.path.getsize(html))
        problems = check_report(chromium, html, work)
        if problems:
            print("FAIL: the report does not render as it should:\n  " + "\n  ".join(problems))
            return 1
        print("ok: the report renders, without console errors, with all %d charts drawn" % len(CHARTS))

        # The checks must bite: an empty price chart ...
        text = open(html, encoding="utf-8").read()
        broken = os.path.join(work, "empty_chart.html")
        with open(broken, "w", encoding="utf-8") as f:
            f.write(re.sub(r'(<polyline class="price" points=")[^"]*"', r'\1"', text, count=1)
                    .replace('class="entry"', 'class="entry" visibility="hidden"')
                    .replace('class="exit"', 'class="exit" visibility="hidden"'))
        problems = check_report(chromium, broken, work)
        if not any(p.startswith("chart-price: looks empty") for p in problems):
            print("FAIL: a report with an empty price chart passed the pixel check: %r" % problems)
            return 1
        print("ok: an empty price chart is caught: %s" % [p for p in problems if "chart-price" in p])

        # ... and a script error.
        with open(broken, "w", encoding="utf-8") as f:
            f.write(text.replace("</body>", "<script>noSuchFunction();</script></body>"))
        problems = check_report(chromium, broken, work)
        if not any("error" in p for p in problems):
            print("FAIL: a report with a script error passed the console check: %r" % problems)
            return 1
        print("ok: a script error is caught")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
