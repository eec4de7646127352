"""The studio web page in real Chromium against a real server: sign up, design, react, delete, isolation."""

from __future__ import annotations

import math
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from designer_bff.api.app import create_app
from designer_bff.config import Settings
from designer_bff.container import Container
from tests.conftest import IN_CI

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:  # the browser tests below skip (or fail under CI) with a clear reason
    sync_playwright = None

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse battery"
PROMPT = "bohemian maxi dress in rust linen"


def _free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def live_server(make_settings: Callable[..., Settings]) -> Iterator[str]:
    """A real uvicorn server (with job consumers) on a free local port; yields its base URL."""
    app = create_app(Container(make_settings()), run_consumers=True)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="web-ui-server", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the test server did not come up")
        time.sleep(0.05)
    yield base
    server.should_exit = True
    thread.join(timeout=15)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium driven by playwright (never a downloaded browser)."""
    missing = []
    if sync_playwright is None:
        missing.append("the playwright package (pip install playwright)")
    if not CHROMIUM.exists():
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    if missing:
        reason = "browser tests need " + " and ".join(missing)
        if IN_CI:
            pytest.fail(f"{reason}; CI must provide them")
        pytest.skip(reason)
    expect.set_options(timeout=20_000)
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _open_watched(browser: Browser, base: str) -> tuple[Page, list[str]]:
    """A fresh context (own localStorage) with the studio page loaded, and its running list of errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{base}/")
    expect(page.locator("#auth-form")).to_be_visible()
    # Script errors (a CSP violation, a typo) would otherwise show only as a dead button later.
    assert errors == []
    return page, errors


def _open(browser: Browser, base: str) -> Page:
    """A fresh context (own localStorage) with the studio page loaded."""
    return _open_watched(browser, base)[0]


def _register(page: Page, email: str) -> None:
    """Create an account through the form."""
    page.get_by_role("tab", name="Create account").click()
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.locator("#auth-submit").click()
    expect(page.locator("#account-email")).to_have_text(email)


def _token(page: Page) -> str:
    """The login token the page keeps in localStorage."""
    token: str = page.evaluate("() => localStorage.getItem('dbff.token')")
    assert token
    return token


def _api(base: str, token: str, path: str) -> Any:
    """GET a JSON API path as the page's user."""
    response = httpx.get(f"{base}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def _percent(fraction: float) -> str:
    """A fraction as the page writes it (JavaScript's Math.round: halves go up)."""
    return f"{math.floor(fraction * 100 + 0.5)}%"


def _kept_line(body: dict[str, Any]) -> str:
    """The "N kept of M · R rejected · F flagged" line the page should show for a finished generation."""
    verdicts = body["stages"]["validation"]["output"]
    parts = [f"{len(body['assets'])} kept of {body['candidateCount']}"]
    parts += [f"{verdicts[v]} {v}" for v in ("rejected", "flagged") if verdicts[v]]
    if not verdicts["rejected"] and not verdicts["flagged"]:
        parts.append("all passed validation")
    return " · ".join(parts)


def test_page_is_served_with_security_headers(live_server: str) -> None:
    """The page and its files carry the security headers, revalidate by ETag and stay out of OpenAPI."""
    page = httpx.get(f"{live_server}/", timeout=10)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "img-src 'self' data: blob: https: http:" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    script = httpx.get(f"{live_server}/static/app.js", timeout=10)
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    again = httpx.get(f"{live_server}/static/app.js", headers={"If-None-Match": script.headers["etag"]})
    assert again.status_code == 304
    for path in ("/static/missing.js", "/static/%2e%2e/%2e%2e/api/routes/web.py", "/static/%2e%2e/templates"):
        response = httpx.get(f"{live_server}{path}", timeout=10)
        assert response.status_code == 404, path
        assert response.json()["error"] == "not_found"
    paths = httpx.get(f"{live_server}/openapi.json", timeout=10).json()["paths"]
    assert "/" not in paths and not any(p.startswith("/static") for p in paths)


def test_design_react_and_delete_through_the_page(live_server: str, browser: Browser) -> None:
    """Register, generate three designs, check selection, coverage and gaps against the API, mark a
    standout (checked via the API), delete, empty again; no script or console errors on the way."""
    page, errors = _open_watched(browser, live_server)
    _register(page, f"{uuid.uuid4().hex[:8]}@studio.test")
    expect(page.locator("#empty-state")).to_be_visible()

    page.get_by_label("Request", exact=True).fill(PROMPT)
    page.get_by_label("Designs", exact=True).fill("3")
    page.get_by_role("button", name="Generate designs").click()

    section = page.locator("section.gen")
    expect(section).to_have_count(1)
    expect(section).to_have_attribute("data-status", "completed", timeout=60_000)
    tiles = section.locator("li.tile:not(.tile--pending)")
    expect(tiles).to_have_count(3)
    for i in range(3):
        expect(tiles.nth(i).locator("img")).to_be_visible()
    # Loaded for real: the signed thumbnail URLs work in a plain <img> under the page's CSP.
    page.wait_for_function(
        "() => { const imgs = [...document.querySelectorAll('section.gen img.tile__img')];"
        " return imgs.length === 3 && imgs.every((img) => img.complete && img.naturalWidth > 0); }"
    )
    captions = section.locator(".tile__caption").all_inner_texts()
    assert len(captions) == 3 and all("dress" in c.lower() for c in captions), captions

    generation_id = section.get_attribute("data-generation-id")
    asset_id = tiles.first.get_attribute("data-asset-id")
    assert generation_id and asset_id
    token = _token(page)
    body = _api(live_server, token, f"/api/generate/{generation_id}")

    # Over-generation: ⌈3 × 1.2⌉ candidates made (the progress bar counted them), the best 3 kept.
    assert len(body["assets"]) == 3 and body["candidateCount"] == 4 and body["hiddenCount"] == 1
    expect(section.locator("[role=progressbar]")).to_have_attribute(
        "aria-valuemax", str(body["candidateCount"])
    )
    expect(section.locator(".insight-bar__summary")).to_have_text(_kept_line(body))
    flagged = [a["id"] for a in body["assets"] if a["verdict"] == "flagged"]
    expect(section.locator("li.tile:has(.mark--flagged)")).to_have_count(len(flagged))

    # Showing hidden candidates reloads the request with every candidate; hidden ones are marked.
    toggle = section.get_by_role("button", name=f"Show hidden candidates ({body['hiddenCount']})")
    toggle.click()
    expect(tiles).to_have_count(body["candidateCount"])
    expect(section.locator("li.tile--hidden")).to_have_count(body["hiddenCount"])
    expect(section.locator(".tile__marks .mark--hidden, .tile__marks .mark--rejected")).to_have_count(
        body["hiddenCount"]
    )
    section.get_by_role("button", name="Hide hidden candidates").click()
    expect(tiles).to_have_count(3)

    # The Coverage panel loads the batch's report on opening and shows its overall score and clusters.
    coverage = _api(live_server, token, f"/api/coverage/{generation_id}")
    clusters = _api(live_server, token, f"/api/clusters/{generation_id}")
    section.get_by_role("button", name=re.compile("^Coverage")).click()
    panel = section.get_by_role("region", name="Coverage")
    expect(panel.locator(".coverage__overall")).to_have_text(_percent(coverage["overall"]))
    expect(panel.locator(".cov-cat")).to_have_count(len(coverage["categories"]))
    expect(panel.locator(".gap")).to_have_count(len(coverage["gaps"]))
    expect(panel.locator(".cluster")).to_have_count(len(clusters["clusters"]))

    # The sidebar lists the user's open gaps; applying a boost pins it.
    open_gaps = _api(live_server, token, "/api/coverage/gaps")["gaps"]
    assert open_gaps, "three dresses in one fabric leave coverage gaps"
    sidebar_gaps = page.locator("#gaps-list > li")
    expect(sidebar_gaps).to_have_count(len(open_gaps))
    sidebar_gaps.first.get_by_role("button", name=re.compile("^Apply boost")).click()
    expect(sidebar_gaps.first.locator(".gap__pinned")).to_have_text("pinned")
    pinned = [g for g in _api(live_server, token, "/api/coverage/gaps")["gaps"] if g["pinned"]]
    assert [g["id"] for g in pinned] == [open_gaps[0]["id"]]

    tiles.first.get_by_role("button").click()
    lightbox = page.locator("#lightbox")
    expect(lightbox).to_be_visible()
    expect(lightbox.locator("#lb-prompt")).to_have_text(PROMPT)
    # Validation and selection of the design, as the API reports them.
    asset = next(a for a in body["assets"] if a["id"] == asset_id)
    validation = lightbox.get_by_role("region", name="Validation")
    expect(validation.locator(".verdict")).to_have_text(
        f"{asset['verdict']} · {_percent(asset['validationScore'])}"
    )
    expect(validation.locator("tbody tr")).to_have_count(len(asset["validation"]["checks"]))
    selection = lightbox.get_by_role("region", name="Selection")
    expect(selection).to_contain_text(f"#{asset['pickRank'] + 1} of 3")
    expect(selection).to_contain_text(f"Cluster {asset['cluster']}")
    standout = lightbox.get_by_role("button", name="Standout")
    standout.click()
    expect(standout).to_have_attribute("aria-pressed", "true")

    body = _api(live_server, token, f"/api/generate/{generation_id}")
    assert {"type": "outlier", "assetId": asset_id} in [
        {"type": f["type"], "assetId": f["assetId"]} for f in body["feedback"]
    ]

    taste = lightbox.get_by_role("region", name="Your taste")
    expect(taste).to_contain_text("chance it is a standout for you")
    expect(taste).to_contain_text("Pulls up:")  # a standout lifts the design's own features

    # Rejecting replaces the judgement; pressing Reject again undoes it and the standout comes back.
    reject = lightbox.get_by_role("button", name="Reject")
    reject.click()
    expect(reject).to_have_attribute("aria-pressed", "true")
    expect(standout).to_have_attribute("aria-pressed", "false")
    reject.click()
    expect(reject).to_have_attribute("aria-pressed", "false")
    expect(standout).to_have_attribute("aria-pressed", "true")
    history = _api(live_server, token, f"/api/feedback?assetId={asset_id}")
    assert history["judgement"]["judgement"] == "outlier"
    assert [f["type"] for f in history["items"] if f["undoneAt"]] == ["reject"]

    page.keyboard.press("Escape")
    expect(lightbox).to_be_hidden()
    expect(tiles.first.locator(".badge--outlier")).to_be_visible()
    expect(tiles.first.locator(".badge--reject")).to_have_count(0)

    section.get_by_role("button", name=re.compile("^Delete request")).click()
    expect(page.locator("#confirm")).to_be_visible()
    page.locator("#confirm-ok").click()
    expect(section).to_have_count(0)
    expect(page.locator("#empty-state")).to_be_visible()
    assert _api(live_server, _token(page), "/api/generate")["total"] == 0
    assert errors == []


def test_bad_requests_show_the_api_message(live_server: str, browser: Browser) -> None:
    """Invalid requests and a wrong password show the API's own error message next to the form."""
    page = _open(browser, live_server)
    _register(page, f"{uuid.uuid4().hex[:8]}@studio.test")
    token = _token(page)
    error = page.locator("#request-error")

    def api_message(body: dict[str, Any]) -> str:
        response = httpx.post(
            f"{live_server}/api/generate/from-prompt",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert response.status_code == 422, response.text
        message: str = response.json()["message"]
        return message

    page.get_by_label("Request", exact=True).fill("")
    page.get_by_role("button", name="Generate designs").click()
    expect(error).to_have_text(api_message({"prompt": "", "count": 8, "settings": {"aspectRatio": "3:4"}}))
    expect(page.get_by_label("Request", exact=True)).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Request", exact=True).fill("linen shirt")
    page.get_by_label("Designs", exact=True).fill("0")
    page.get_by_role("button", name="Generate designs").click()
    expect(error).to_have_text(api_message({"prompt": "linen shirt", "count": 0}))
    expect(page.get_by_label("Designs", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.locator("section.gen")).to_have_count(0)

    # A wrong password on the sign-in form shows the API's message too.
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Email", exact=True).fill("nobody@studio.test")
    page.get_by_label("Password", exact=True).fill("not the password")
    page.locator("#auth-submit").click()
    expect(page.locator("#auth-error")).to_have_text("wrong email or password")


def test_second_user_does_not_see_the_first_users_designs(live_server: str, browser: Browser) -> None:
    """A second account, in its own browser context, gets an empty studio."""
    alice_email = f"alice-{uuid.uuid4().hex[:6]}@studio.test"
    registered = httpx.post(
        f"{live_server}/api/auth/register", json={"email": alice_email, "password": PASSWORD}, timeout=10
    )
    headers = {"Authorization": f"Bearer {registered.json()['accessToken']}"}
    created = httpx.post(
        f"{live_server}/api/generate/from-prompt",
        json={"prompt": "camel wool coat", "count": 1},
        headers=headers,
        timeout=10,
    )
    assert created.status_code == 202, created.text

    # Alice signs in through the form and sees her request ...
    alice = _open(browser, live_server)
    alice.get_by_label("Email", exact=True).fill(alice_email)
    alice.get_by_label("Password", exact=True).fill(PASSWORD)
    alice.locator("#auth-submit").click()
    expect(alice.locator(f'section.gen[data-generation-id="{created.json()["id"]}"]')).to_be_visible()

    # ... Bob, in his own browser context, gets an empty studio.
    bob = _open(browser, live_server)
    _register(bob, f"bob-{uuid.uuid4().hex[:6]}@studio.test")
    expect(bob.locator("#empty-state")).to_be_visible()
    expect(bob.locator("section.gen")).to_have_count(0)
    expect(bob.get_by_text("camel wool coat")).to_have_count(0)
