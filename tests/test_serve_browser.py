"""`backprop-tutor serve` in a real headless browser: Debian's chromium driven by playwright.

Starts the server on a free loopback port with a temporary data folder, loads the page, waits for the home
screen, opens lesson 1, answers its first problem (the answer computed with the engine from the numbers on
the screen), checks the feedback, and finds the answer in the progress store of that folder.

textual-serve draws the terminal with xterm.js on a canvas, so the screen's text is not in the DOM. An init
script keeps the page's xterm Terminal when it is built (it is the object that gets an ``_addonManager``) and
reads its buffer, line by line, through xterm's public API; every wait is on that text, with a timeout.

Chromium is a system package (``apt-get install -y chromium``; .ci/run installs it). When it is missing the
test fails under CI (``CI`` set) and is skipped elsewhere with a reason that says how to install it: the
README's one-line test command cannot install a system package on a fresh machine.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tutor.engine import Value
from tutor.formatting import format_number
from tutor.progress import ProgressStore

CHROMIUM = Path("/usr/bin/chromium")
INSTALL = "apt-get install -y chromium (as root; .ci/run does this)"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 90_000  # the first paint of a child tutor on a loaded 2-core machine can take several seconds

CAPTURE_SCREEN = r"""
Object.defineProperty(Object.prototype, '_addonManager', {
  configurable: true,
  set(value) {
    window.__xterm = this;
    Object.defineProperty(this, '_addonManager', {value, writable: true, configurable: true, enumerable: true});
  },
});
window.__screenText = () => {
  const terminal = window.__xterm;
  if (!terminal) return '';
  const buffer = terminal.buffer.active, lines = [];
  for (let y = 0; y < terminal.rows; y++) {
    const line = buffer.getLine(buffer.viewportY + y);
    lines.push(line ? line.translateToString(true) : '');
  }
  return lines.join('\n');
};
"""


def _require_browser() -> None:
    missing = [] if CHROMIUM.exists() else [f"Debian's chromium at {CHROMIUM}: {INSTALL}"]
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append('playwright for Python: python3 -m pip install ".[test]"')
    if missing:
        message = "the browser test needs " + "; and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_listening(process: subprocess.Popen, log: Path, port: int, deadline: float) -> None:
    """Poll (not sleep a guessed time) until the server accepts connections, or fail with its output."""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"serve exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"serve did not listen on port {port} in time:\n{log.read_text(errors='replace')}")


def _screen(page) -> str:
    return page.evaluate("window.__screenText()")


def _wait_for_text(page, text: str) -> None:
    try:
        page.wait_for_function("text => window.__screenText && window.__screenText().includes(text)", arg=text,
                               timeout=TIMEOUT_MS, polling=100)
    except Exception as error:  # playwright's TimeoutError: say what was on the screen instead
        pytest.fail(f"{text!r} never appeared on the page ({type(error).__name__}); the screen was:\n{_screen(page)}")


def test_serve_home_lesson_one_answer_feedback_and_store(tmp_path):
    _require_browser()
    from playwright.sync_api import sync_playwright

    data_dir = tmp_path / "data"
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen([sys.executable, "-m", "tutor", "--data-dir", str(data_dir), "serve",
                                   "--port", str(port)], stdout=output, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_until_listening(server, log, port, time.monotonic() + 60)
        assert f"listening on http://127.0.0.1:{port} — loopback only" in log.read_text()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch_persistent_context(
                str(tmp_path / "chromium-profile"), executable_path=str(CHROMIUM), headless=True,
                args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 800})
            try:
                page = browser.new_page()
                page.add_init_script(CAPTURE_SCREEN)
                # The page asks for a web font; nothing leaves this machine.
                page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
                    f"http://127.0.0.1:{port}/") else route.abort())
                page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded", timeout=TIMEOUT_MS)
                _wait_for_text(page, "▶ Start: The chain rule along one path")
                _wait_for_text(page, "1. The chain rule along one path  0/9")
                page.locator(".xterm-helper-textarea").focus()

                page.keyboard.press("Enter")  # Start: lesson 1, its first text step
                _wait_for_text(page, "Step 1/11")
                page.keyboard.press("PageDown")  # on to the first problem
                _wait_for_text(page, "numeric problem")
                # The problem's own keys in the footer: its answer box has the cursor. (Keys typed before
                # that are kept too, tests/test_ui_key_fuzz.py checks it; here the point is the whole route.)
                _wait_for_text(page, "f2 Hint")
                prompt = " ".join(_screen(page).split())
                found = re.search(r"changes (\d+) times as fast as x, and y = f\(u\) changes (\d+) times", prompt)
                assert found, prompt
                rate_u, rate_y = (Value(float(number)) for number in found.groups())
                answer = format_number((rate_u * rate_y).data)  # dy/dx = dy/du · du/dx, by the engine

                page.keyboard.type(answer)
                page.keyboard.press("Enter")
                _wait_for_text(page, "✓ Correct")
                screen = _screen(page)
                assert f"Correct: {answer}." in screen and "Not quite" not in screen, screen
                page.screenshot(path=str(tmp_path / "lesson-1-answered.png"))
                if os.environ.get("BACKPROP_TUTOR_SCREENSHOT"):
                    shutil.copy(tmp_path / "lesson-1-answered.png", os.environ["BACKPROP_TUTOR_SCREENSHOT"])

                page.keyboard.press("Escape")  # home again: the lesson now counts one problem solved
                _wait_for_text(page, "1. The chain rule along one path  1/9")
            finally:
                browser.close()
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(server.pid, signal.SIGKILL)  # the server, its shells and every tab's tutor
            except ProcessLookupError:
                pass
            server.wait(timeout=20)

    with ProgressStore.open(data_dir) as store:
        attempts = [row.attempt for row in store.attempts(pack_id="backprop", lesson_id="chain-rule")]
    assert [(a.problem_id, a.verdict.value, a.answer_text) for a in attempts] == [
        ("chain-rates-multiply", "correct", answer)]


def test_serve_binds_to_loopback_by_default_and_warns_for_another_host(monkeypatch, capsys, tmp_path):
    """No browser: the server object is replaced, to see what it would be given."""
    started = []

    class FakeServer:
        def __init__(self, command, **options):
            started.append((command, options))

        def serve(self):
            pass

    monkeypatch.setattr("textual_serve.server.Server", FakeServer)
    from tutor.cli import main

    assert main(["--data-dir", str(tmp_path / "d"), "serve", "--port", "8123"]) == 0
    out, err = capsys.readouterr()
    command, options = started[-1]
    assert options["host"] == "127.0.0.1" and options["public_url"] == "http://127.0.0.1:8123"
    assert "loopback only" in out and str(tmp_path / "d") in out and err == ""
    assert command.endswith(f"-m tutor --data-dir {tmp_path / 'd'}")  # each tab's tutor keeps progress there

    assert main(["--data-dir", str(tmp_path / "d"), "serve", "--host", "0.0.0.0", "--port", "8123"]) == 0
    out, err = capsys.readouterr()
    assert "warning: --host 0.0.0.0 is not loopback" in err and "loopback only" not in out
    assert started[-1][1]["host"] == "0.0.0.0"

    assert main(["serve", "--host", "::1", "--port", "8123"]) == 0
    assert started[-1][1]["public_url"] == "http://[::1]:8123" and "loopback only" in capsys.readouterr().out
    assert main(["serve", "--port", "0"]) == 2
