"""The try-it page in headless Chromium: served by the API, and as a static page with no server.

A probe page, served from the same origin as the page under test (so it may reach into its
iframe), types skills into the page's box, picks an autocomplete suggestion, chooses a
region, presses the button, waits for the answer and writes what the page shows into a
``data-result`` attribute that ``chromium --dump-dom`` prints. The static version is built
with :func:`skills_engine.publish.tryit.write_site_assets` and the HTML block of
``site/try-it.qmd``, and served by ``http.server``, which cannot answer an API call.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import threading
from pathlib import Path
from urllib.parse import quote

import pytest
from selectolax.lexbor import LexborHTMLParser

from browser_support import run_chromium, serve_app
from skills_engine.publish import tryit
from skills_engine.recommender import artifacts
from skills_engine.service import app as service_app

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
#: Seconds one headless Chromium call may take; the page answers in well under one.
#: Virtual milliseconds Chromium lets the page's scripts run before dumping the DOM; virtual
#: time stands still while requests are pending, so this bounds script time, not network time.
VIRTUAL_TIME_BUDGET_MS = 15_000
SKILLS = ["patient care", "phlebotomy", "record keeping"]

PROBE = """<!doctype html>
<html><head><meta charset="utf-8"><title>probe</title></head>
<body data-status="pending">
<iframe id="page" style="width:1200px;height:900px;border:0"></iframe>
<script>
const frame = document.getElementById("page");
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
async function waitFor(test, what) {
  for (let i = 0; i < 200; i++) { const found = test(); if (found) return found; await sleep(50); }
  throw new Error("timed out waiting for " + what);
}
function type(input, text) {
  // as a person types: one input event per character
  for (const character of text) {
    input.value += character;
    input.dispatchEvent(new Event("input", {bubbles: true}));
  }
}
frame.addEventListener("load", async () => {
  const result = {errors: []};
  try {
    const win = frame.contentWindow, doc = frame.contentDocument;
    win.addEventListener("error", event => result.errors.push(String(event.message)));
    const root = await waitFor(() => doc.querySelector(".skills-engine"), "the widget");
    const region = await waitFor(() => { const s = doc.querySelector(".se-region"); return s && s.options.length > 1 && s; }, "regions");
    const input = doc.querySelector(".se-skills");
    input.focus();
    type(input, "patient care; phleb");
    const chip = await waitFor(() => [...doc.querySelectorAll(".se-suggestion")].find(b => b.textContent === "phlebotomy"), "a suggestion");
    result.suggestions = [...doc.querySelectorAll(".se-suggestion")].map(b => b.textContent);
    chip.click();
    result.afterSuggestion = input.value;
    type(input, "record keeping");
    region.value = "North East";
    region.dispatchEvent(new Event("change", {bubbles: true}));
    doc.querySelector(".se-k").value = "5";
    doc.querySelector(".se-submit").click();
    await waitFor(() => ["done", "error"].includes(root.dataset.state) && root.dataset.state, "the answer");
    result.state = root.dataset.state;
    result.backend = root.dataset.backend;
    result.status = doc.querySelector(".se-status").textContent;
    result.uris = [...doc.querySelectorAll(".se-result")].map(li => li.dataset.uri);
    result.titles = [...doc.querySelectorAll(".se-result .se-title strong")].map(el => el.textContent);
    result.first = doc.querySelector(".se-result") ? doc.querySelector(".se-result").textContent : "";
    result.understood = doc.querySelector(".se-understood").textContent;
    // a skill the model does not know is listed with close matches, not an error
    input.value = "quantum basket weaving; cooking";
    doc.querySelector(".se-submit").click();
    await waitFor(() => doc.querySelector(".se-unknown"), "the unknown skill");
    await waitFor(() => root.dataset.state === "done" && root.dataset.state, "the second answer");
    result.unknown = doc.querySelector(".se-unknown").textContent;
    result.secondUris = [...doc.querySelectorAll(".se-result")].map(li => li.dataset.uri);
  } catch (error) {
    result.errors.push(String(error));
  }
  document.body.dataset.result = JSON.stringify(result);
  document.body.dataset.status = "done";
});
frame.src = new URLSearchParams(location.search).get("page");
</script>
</body></html>
"""


@pytest.fixture
def profile(tmp_path) -> Path:
    path = tmp_path / "chromium-profile"
    path.mkdir()
    return path


def dump_dom(binary: str, profile: Path, url: str) -> LexborHTMLParser:
    """Load ``url`` in headless Chromium and return the DOM it ends with."""
    result = run_chromium(binary, profile, f"--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}", "--dump-dom", url)
    assert result.returncode == 0, result.stderr[-2000:]
    return LexborHTMLParser(result.stdout)


def probe(binary: str, profile: Path, base: str, page: str) -> dict:
    body = dump_dom(binary, profile, f"{base}/__probe__.html?page={quote(page)}").css_first("body")
    assert body is not None and body.attributes.get("data-status") == "done", f"the probe did not finish on {page}"
    return json.loads(body.attributes["data-result"])


@pytest.fixture(scope="module")
def engine(api_world):
    return api_world.tiny_engine()


@pytest.fixture(scope="module")
def api_server(engine, tmp_path_factory):
    """The API with the tiny engine under uvicorn on an ephemeral loopback port, plus the probe page."""
    from fastapi.responses import HTMLResponse

    artefact = artifacts.save_engine(engine, path=tmp_path_factory.mktemp("browser-engine") / "engine.joblib")
    app = service_app.create_app(artifact=artefact)
    app.add_api_route("/__probe__.html", lambda: HTMLResponse(PROBE), include_in_schema=False)
    with serve_app(app) as base:
        yield base


def try_it_block() -> str:
    """The HTML block of ``site/try-it.qmd``: what the site publishes."""
    text = (ROOT / "site" / "try-it.qmd").read_text(encoding="utf-8")
    found = re.search(r"```\{=html\}\n(.*?)\n```", text, re.S)
    assert found, "site/try-it.qmd has no ```{=html} block"
    return found.group(1)


@pytest.fixture(scope="module")
def static_server(engine, tmp_path_factory):
    """A built static folder (model, script, page) served by http.server: no API behind it."""
    folder = tmp_path_factory.mktemp("static-site")
    tryit.write_site_assets(engine, folder)
    page = f'<!doctype html><html><head><meta charset="utf-8"><title>Try it</title></head><body>\n{try_it_block()}\n</body></html>'
    (folder / "try-it.html").write_text(page, encoding="utf-8")
    (folder / "__probe__.html").write_text(PROBE, encoding="utf-8")
    handler = functools.partial(
        type("Quiet", (http.server.SimpleHTTPRequestHandler,), {"log_message": lambda *a: None}), directory=str(folder)
    )
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


def expected_uris(engine, skills=SKILLS, region="North East", k=5) -> list[str]:
    return [r["occupation_uri"] for r in engine.recommend(skills, region=region, k=k)["results"]]


def check_typed_session(found: dict, engine, backend: str) -> None:
    assert found["errors"] == [], found
    assert "phlebotomy" in found["suggestions"]
    assert found["afterSuggestion"] == "patient care; phlebotomy; "
    assert found["state"] == "done" and found["backend"] == backend, found
    assert found["uris"] == expected_uris(engine), found
    assert found["titles"][0] == "nurse responsible for general care"
    assert "North East" in found["first"] and "£33,500" in found["first"] and "Your matching skills" in found["first"]
    # a fall in postings reads with the true minus, as on every page of the site
    assert re.search(r"North East \u2212\d+\.\d%", found["first"]) and not re.search(r"-\d+\.\d%", found["first"])
    assert "quantum basket weaving" in found["unknown"]
    assert found["secondUris"][0] == "occ:chef"


def test_typing_skills_into_the_served_page_shows_recommendations(chromium, api_server, engine, profile):
    check_typed_session(probe(chromium, profile, api_server, "/"), engine, backend="api")


def test_served_page_reads_skills_from_the_address(chromium, api_server, engine, profile):
    url = f"{api_server}/?skills={quote('; '.join(SKILLS))}&region=north-east&k=5"
    dom = dump_dom(chromium, profile, url)
    root = dom.css_first(".skills-engine")
    assert root is not None and root.attributes.get("data-state") == "done", dom.html[-2000:]
    assert [li.attributes["data-uri"] for li in dom.css(".se-result")] == expected_uris(engine)


def test_static_page_works_without_a_server(chromium, static_server, api_world, profile):
    found = probe(chromium, profile, static_server, "/try-it.html")
    # the page ranks with the skill profile alone (the engine's other parts need every training
    # advert): it must agree with the engine fitted without them, whose profile is the same
    check_typed_session(found, api_world.tiny_engine(knn_weight=0.0), backend="static")
    assert "£33,000 in North East" in found["first"]  # the regional median, from the exported model
