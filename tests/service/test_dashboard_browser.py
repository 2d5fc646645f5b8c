"""The dashboard in a real browser: headless Chromium logs in, visits every page, and
checks that plotly drew every chart with data, offline, without a console error.

Screenshots of each page go to ``$MINDSHARE_TEST_ARTIFACTS/dashboard`` when that is
set, else to the test's temporary directory.
"""

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.sync_api import ConsoleMessage, Page, sync_playwright
from service_worlds import DASHBOARD_CHARTS as CHARTS
from service_worlds import DashboardWorld

from mindshare.service import create_app

CHROMIUM = Path("/usr/bin/chromium")
#: Data points of every plotly chart on the page, by the id of its element.
COUNT_POINTS = """() => Object.fromEntries(
  Array.from(document.querySelectorAll("[data-figure]")).map((element) => [
    element.id,
    (element.data || []).reduce((total, trace) => total + (
      trace.type === "sankey"
        ? trace.link.value.length
        : (trace.y || []).filter((value) => value !== null).length
    ), 0),
  ])
)"""
ALL_DRAWN = """() => Array.from(document.querySelectorAll("[data-figure]"))
  .every((element) => element._fullLayout !== undefined && element.querySelector("svg"))"""


@pytest.fixture
def base_url(sqlite_dashboard_world: DashboardWorld) -> Iterator[str]:
    """The app served by uvicorn on a free port of 127.0.0.1, stopped afterwards."""
    world = sqlite_dashboard_world
    app = create_app(world.settings, store=world.store)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", ws="none", http="h11"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, timeout_s=20.0)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()
    assert not thread.is_alive(), "uvicorn did not stop"


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    """Where screenshots go: ``$MINDSHARE_TEST_ARTIFACTS/dashboard`` or a temporary folder."""
    root = os.environ.get("MINDSHARE_TEST_ARTIFACTS")
    folder = Path(root) / "dashboard" if root else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_every_page_draws_its_charts_in_chromium_without_errors(
    base_url: str, sqlite_dashboard_world: DashboardWorld, artifacts: Path
) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: `make test` installs it")
    problems: list[str] = []
    foreign: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(15_000)
            page.on("console", lambda message: _note_error(message, problems))
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on(
                "request",
                lambda request: (
                    None if request.url.startswith(base_url) else foreign.append(request.url)
                ),
            )

            page.goto(f"{base_url}/dashboard")
            page.get_by_label("API key").fill(sqlite_dashboard_world.tokens["read"])
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(f"{base_url}/dashboard/w")

            for name, chart_ids in CHARTS.items():
                page.get_by_role("navigation").get_by_role("link", name=name.title()).click()
                url = f"{base_url}/dashboard/w" + ("" if name == "overview" else f"/{name}")
                page.wait_for_url(url)
                counts = _drawn_points(page)
                page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)

                assert list(counts) == chart_ids, name
                assert all(n > 0 for n in counts.values()), (name, counts)
                assert page.get_by_role("heading", level=1).inner_text() == name.title()

            page.get_by_role("button", name="Log out").click()
            page.wait_for_url(f"{base_url}/dashboard")
            assert page.get_by_label("API key").is_visible()
        finally:
            browser.close()
    assert problems == []
    assert foreign == [], "the dashboard must work offline"


def _drawn_points(page: Page) -> dict[str, int]:
    """Wait until plotly has drawn every chart of the page; then count their points."""
    page.wait_for_load_state("load")
    page.wait_for_function(ALL_DRAWN)
    counts: dict[str, int] = page.evaluate(COUNT_POINTS)
    return counts


def _note_error(message: ConsoleMessage, problems: list[str]) -> None:
    if message.type == "error":
        problems.append(f"console error: {message.text} at {message.location}")


def _wait_until_healthy(url: str, *, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"the dashboard did not answer at {url} in {timeout_s} s")
        time.sleep(0.1)
