"""The website as a reader sees it: served on loopback, opened in headless Chromium.

A probe page, served beside the site by the test's own server (never written into it),
loads a site page in a same-origin iframe, decodes every image the page shows and fetches
every local link, stylesheet and script, then writes what it found into a ``data-result``
attribute that ``chromium --dump-dom`` prints. Screenshots of the home page and a report
page are saved to ``$SKILLS_ENGINE_SCREENSHOT_DIR`` (default: the test's temporary folder).

By default the site is built from the tiny project of ``test_site.py``; set
``SKILLS_ENGINE_SITE_DIR`` to an already built ``_site/`` to check that instead.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from browser_support import run_chromium, serve_folder
from skills_engine.publish import render

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
#: Seconds one headless Chromium call may take; a page of this site loads in about one.
#: Virtual milliseconds Chromium lets the probe run before dumping the DOM; virtual time
#: stands still while requests are pending, so this bounds script time, not network time.
VIRTUAL_TIME_BUDGET_MS = 10_000
WINDOW = (1280, 900)

PROBE = """<!doctype html>
<html><head><meta charset="utf-8"><title>probe</title></head>
<body data-status="pending">
<iframe id="page" style="width:1280px;height:900px;border:0"></iframe>
<script>
const target = new URLSearchParams(location.search).get("page");
const frame = document.getElementById("page");
frame.addEventListener("load", async () => {
  const doc = frame.contentDocument;
  const images = [...doc.images];
  const broken = [];
  for (const img of images) {
    // Decode a copy: an image below the fold may not have loaded in the frame yet.
    const copy = new Image();
    copy.src = img.currentSrc || img.src;
    try { await copy.decode(); if (!copy.naturalWidth) broken.push(img.getAttribute("src").slice(0, 120)); }
    catch (error) { broken.push(img.getAttribute("src").slice(0, 120)); }
  }
  const urls = [...doc.querySelectorAll("a[href], link[href], script[src], img[src]")]
    .map(el => el.href || el.src)
    .filter(url => url.startsWith(location.origin))
    .map(url => url.split("#")[0]);
  const links = [...new Set(urls)];
  const dead = [];
  for (const url of links) {
    try { const response = await fetch(url); if (!response.ok) dead.push(`${url} ${response.status}`); }
    catch (error) { dead.push(`${url} ${error}`); }
  }
  document.body.dataset.result = JSON.stringify({
    title: doc.title, images: images.length, broken, links: links.length, dead,
    navbar: doc.querySelectorAll("nav.navbar a.nav-link").length,
    stylesheets: doc.styleSheets.length,
    navbarHeight: doc.querySelector("nav.navbar") ? doc.querySelector("nav.navbar").getBoundingClientRect().height : 0,
  });
  document.body.dataset.status = "done";
});
frame.src = target;
</script>
</body></html>
"""

#: A control page with one image that resolves and one that does not: the probe must tell them apart.
CONTROL = """<!doctype html><html><head><title>control</title></head><body>
<img src="{good}"><img src="no-such-image.png"><a href="no-such-page.html">dead</a>
</body></html>"""


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory) -> Path:
    given = os.environ.get("SKILLS_ENGINE_SITE_DIR")
    if given:
        path = Path(given).resolve()
        if not (path / "index.html").is_file():
            pytest.fail(f"SKILLS_ENGINE_SITE_DIR={given} has no index.html")
        return path
    root = tmp_path_factory.mktemp("browser-project")
    shutil.copy2(ROOT / "_quarto.yml", root / "_quarto.yml")
    shutil.copytree(ROOT / "site", root / "site", ignore=shutil.ignore_patterns("_generated*"))
    for run in ("north-east", "sample"):
        (root / "reports" / run).mkdir(parents=True)
        shutil.copy2(DATA / "site_executed.ipynb", root / "reports" / run / "01_x.ipynb")
    # a regional report, as `run --all-regions` writes one per region
    shutil.copy2(DATA / "site_executed.ipynb", root / "reports" / "north-east" / "04_regional_comparison.ipynb")
    shutil.copy2(DATA / "site_findings.json", root / "reports" / "findings.json")
    return render.build_site(root, renderer="smalldocs", sourcing_report=DATA / "site_sourcing_report.json")


@pytest.fixture(scope="module")
def report_page(site_dir) -> str:
    """A report page: a region's comparison when there is one, else the first executed notebook's."""
    pages = sorted(p for p in (site_dir / "reports").glob("*/*.html") if p.name != "index.html")
    pages = sorted(pages, key=lambda p: (not p.name.startswith("04_regional_comparison"), p.as_posix()))
    if not pages:
        pytest.fail(f"{site_dir} has no report page")
    return "/" + pages[0].relative_to(site_dir).as_posix()


@pytest.fixture(scope="module")
def server(site_dir) -> Iterator[str]:
    """Serve the site, plus the probe and the control page, on an ephemeral loopback port."""
    png = next((p for p in site_dir.rglob("*.png")), None)
    html = "text/html; charset=utf-8"
    extra = {
        "/__probe__.html": (PROBE.encode(), html),
        "/__control__.html": (CONTROL.format(good="/__good__.png").encode(), html),
        "/__good__.png": (_tiny_png() if png is None else png.read_bytes(), "image/png"),
    }
    with serve_folder(site_dir, extra) as base:
        yield base


def _tiny_png() -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import io

    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(0.2, 0.2), dpi=50)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def probe(binary: str, profile: Path, base: str, page: str) -> dict:
    """What a reader's browser finds on ``page``: images, broken images, dead local links."""
    result = run_chromium(
        binary,
        profile,
        f"--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}",
        "--dump-dom",
        f"{base}/__probe__.html?page={page}",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    body = LexborHTMLParser(result.stdout).css_first("body")
    assert body is not None, result.stdout[-2000:]
    assert body.attributes.get("data-status") == "done", f"the probe did not finish on {page}"
    return json.loads(body.attributes["data-result"])


def screenshot(binary: str, profile: Path, url: str, path: Path) -> Path:
    result = run_chromium(
        binary, profile, f"--screenshot={path}", f"--window-size={WINDOW[0]},{WINDOW[1]}", "--hide-scrollbars", url
    )
    assert result.returncode == 0 and path.is_file(), result.stderr[-2000:]
    return path


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


@pytest.fixture
def profile(tmp_path) -> Path:
    path = tmp_path / "chromium-profile"
    path.mkdir()
    return path


def test_probe_detects_broken_images_and_dead_links(chromium, server, profile):
    found = probe(chromium, profile, server, "/__control__.html")
    assert found["images"] == 2
    assert found["broken"] == ["no-such-image.png"]
    assert [entry.split()[-1] for entry in found["dead"]] == ["404", "404"]


def test_home_page_renders_with_no_broken_image_or_dead_link(chromium, server, site_dir, profile):
    found = probe(chromium, profile, server, "/index.html")
    assert found["broken"] == [] and found["dead"] == [], found
    assert found["navbar"] >= 4 and found["navbarHeight"] > 0, found
    assert found["stylesheets"] >= 2 and found["links"] >= 8, found
    assert found["title"].startswith("Skills Engine")


def test_report_page_shows_its_figures(chromium, server, report_page, profile):
    found = probe(chromium, profile, server, report_page)
    assert found["images"] >= 1, found
    assert found["broken"] == [] and found["dead"] == [], found
    assert found["navbar"] >= 4, found


def test_screenshots_of_home_and_report_pages(chromium, server, report_page, profile, tmp_path, record_property):
    folder = Path(os.environ.get("SKILLS_ENGINE_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    shots = {
        "home": screenshot(chromium, profile, f"{server}/index.html", folder / "site_home.png"),
        "report": screenshot(chromium, profile, f"{server}{report_page}", folder / "site_report.png"),
    }
    import matplotlib.image

    for name, path in shots.items():
        record_property(f"screenshot_{name}", str(path))
        print(f"screenshot of the {name} page: {path}")
        assert png_size(path) == WINDOW
        pixels = matplotlib.image.imread(path)
        assert pixels.std() > 0.05, f"{path} looks blank"
