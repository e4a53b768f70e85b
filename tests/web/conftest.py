"""Browser fixtures: Debian's Chromium driven by Playwright, a real server, a logged-in page.

The browser is ``/usr/bin/chromium`` (``apt-get install chromium``), never one downloaded by
``playwright install``. Every page records its console errors and uncaught exceptions, and a
test fails if any appeared (``watch.allow(pattern)`` names the few a test expects on purpose).
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import anyio
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    ViewportSize,
    sync_playwright,
)

from server.auth import Authenticator
from server.store import ProfileStore
from tests.server_process import ServerProcess, create_user

CHROMIUM = Path(os.environ.get("PERSONAGEN_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 375, "height": 812}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

T = TypeVar("T")


def run_async(function: Callable[..., Awaitable[T]], *args: Any) -> T:
    """``anyio.run`` in a worker thread: Playwright's sync API keeps a loop in this one."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(anyio.run, function, *args).result()


# A seeded persona, so the merge, replace and append strategies propose different diffs.
SEED_PERSONA: dict[str, Any] = {
    "identity": {"name": "Alice"},
    "values": {
        "core": [{"value": "curiosity", "description": "I like to learn new things", "priority": 1}]
    },
    "personality": {"traits": {"openness": 0.9}},
}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium for the whole run; each test gets fresh contexts (fresh profile data)."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} is missing: install Debian's browser with `apt-get install -y chromium` "
            "(.ci/run does); `playwright install` cannot download browsers here"
        )
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield instance
        finally:
            instance.close()


class PageWatch:
    """Console errors and page exceptions of every page a test opens."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.allowed: list[re.Pattern[str]] = []

    def allow(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def attach(self, page: Page) -> Page:
        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                self.errors.append(f"console: {message.text} ({message.location.get('url', '')})")

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        return page

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.allowed)]


@pytest.fixture
def watch() -> Iterator[PageWatch]:
    watcher = PageWatch()
    yield watcher
    assert watcher.unexpected() == [], "the browser reported errors"


@pytest.fixture
def profiles_dir(tmp_path: Path) -> Path:
    path = tmp_path / "profiles"
    path.mkdir()
    return path


@pytest.fixture
def token(profiles_dir: Path) -> str:
    """The user ``alice`` and her secret token (for API calls made by the test itself)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(create_user, profiles_dir, "alice").result()


@pytest.fixture
def profiles(profiles_dir: Path, token: str) -> Path:
    """A profiles folder with ``alice`` and her seeded ``core.json``."""
    path = profiles_dir
    persona = path / "alice" / "persona"
    persona.mkdir(parents=True, exist_ok=True)
    (persona / "core.json").write_text(json.dumps(SEED_PERSONA, indent=2), encoding="utf-8")
    return path


def issue_ticket(profiles: Path, user: str = "alice") -> str:
    async def make() -> str:
        store = ProfileStore(profiles)
        return await Authenticator(store, await store.server_secret()).issue_ticket(user)

    return run_async(make)


def core_json(profiles: Path, user: str = "alice") -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (profiles / user / "persona" / "core.json").read_text(encoding="utf-8")
    )
    return data


OpenPage = Callable[..., Page]


@pytest.fixture
def open_page(browser: Browser, profiles: Path, watch: PageWatch) -> Iterator[OpenPage]:
    """``open_page(base_url, viewport=DESKTOP)``: a logged-in page in a fresh context."""
    contexts: list[BrowserContext] = []

    def make(base_url: str, viewport: ViewportSize | None = None, login: bool = True) -> Page:
        context = browser.new_context(viewport=viewport or DESKTOP)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = watch.attach(context.new_page())
        page.add_init_script(STREAM_RECORDER)
        if login:
            page.goto(f"{base_url}/login?ticket={issue_ticket(profiles)}")
            page.wait_for_selector("body[data-connection=connected]")
        return page

    yield make
    for context in contexts:
        context.close()


def server_env(**extra: str) -> dict[str, str]:
    return {"PERSONAGEN_BUILTIN_PACE": "0.03", **extra}


@pytest.fixture
def make_server(profiles: Path) -> Iterator[Callable[..., ServerProcess]]:
    started: list[ServerProcess] = []

    def make(**env: str) -> ServerProcess:
        process = ServerProcess(profiles, env=server_env(**env)).start()
        started.append(process)
        return process

    yield make
    for process in started:
        process.stop()


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


# Test instrumentation (not part of the page): records every text the current-question element
# shows, so a test can prove that streamed text only ever grew as a prefix of the final text.
STREAM_RECORDER = """
window.__stream = [];
document.addEventListener("DOMContentLoaded", () => {
  const target = document.getElementById("current-text");
  const box = document.getElementById("current");
  if (!target || !box) return;
  const record = () => window.__stream.push({
    qid: target.dataset.questionId || null,
    text: target.textContent,
    state: box.dataset.state || null,
  });
  new MutationObserver(record).observe(
    target, {childList: true, characterData: true, subtree: true, attributes: true});
});
"""


def stream_log(page: Page) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = page.evaluate("window.__stream")
    return entries
