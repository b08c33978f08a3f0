"""Time to first paint: backprop-tutor's home screen against a bare Textual "hello" app.

What is measured is what a person sees: each app is started as a fresh process in a pseudo
terminal (80x24, TERM=xterm-256color), and the clock stops when the app's output stream, with
escape sequences stripped, contains the text that app puts on screen first: ``backprop-tutor``
(the home screen's title) or ``hello``. Process start-up, Python's imports and Textual's first
frame are all included, exactly as when a learner types the command. Runs alternate between the
two apps so that disk caches and CPU frequency treat them alike; the medians are compared.

The tutor runs with a fresh temporary data folder each time (its first run creates the progress
database, after the first paint). The quality bar: ratio <= 1.3. For information it also prints
when the lesson list appears (the text ``Review:``), i.e. when the background load has finished.

    python benchmarks/bench_startup.py [--runs 9]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ESCAPES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[PX^_][^\x1b]*\x1b\\|\x1b[=>()][0-9A-B]?")

HELLO_APP = """
from textual.app import App
from textual.widgets import Static

class Hello(App):
    def compose(self):
        yield Static("hello")

Hello().run()
"""


def time_to_text(command: list[str], text: bytes, *, env: dict[str, str], timeout: float = 30.0,
                 size: tuple[int, int] = (80, 24)) -> float:
    """Seconds from spawning ``command`` in a pty until ``text`` appears in its (unescaped) output."""
    master, slave = pty.openpty()
    columns, rows = size
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    started = time.perf_counter()
    process = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT,
                               start_new_session=True, close_fds=True)
    os.close(slave)
    received = b""
    elapsed = None
    try:
        while time.perf_counter() - started < timeout:
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            received += chunk
            if text in ESCAPES.sub(b"", received):
                elapsed = time.perf_counter() - started
                break
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        # Drain so the child never blocks on a full pty buffer while exiting.
        while True:
            ready, _, _ = select.select([master], [], [], 0)
            if not ready:
                break
            try:
                if not os.read(master, 65536):
                    break
            except OSError:
                break
        os.close(master)
    if elapsed is None:
        tail = ESCAPES.sub(b"", received)[-400:].decode(errors="replace")
        raise RuntimeError(f"{command!r} never showed {text!r}; last output: {tail!r}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="runs of each app (default 9)")
    parser.add_argument("--size", default="80x24", help="terminal size COLUMNSxROWS (default 80x24)")
    arguments = parser.parse_args()
    columns, rows = (int(part) for part in arguments.size.split("x"))
    env = {key: value for key, value in os.environ.items() if key not in ("TEXTUAL", "TEXTUAL_DEVTOOLS")}
    env.update(TERM="xterm-256color", COLUMNS=str(columns), LINES=str(rows))
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    hello_times: list[float] = []
    tutor_times: list[float] = []
    loaded_times: list[float] = []
    with tempfile.TemporaryDirectory() as scratch:
        hello_path = Path(scratch) / "hello_app.py"
        hello_path.write_text(HELLO_APP)
        # One unmeasured run of each, so both start from warm disk caches and compiled bytecode.
        for run in range(arguments.runs + 1):
            data_dir = Path(scratch) / f"data-{run}"
            hello = time_to_text([sys.executable, str(hello_path)], b"hello", env=env, size=(columns, rows))
            tutor = time_to_text([sys.executable, "-m", "tutor", "--data-dir", str(data_dir)], b"backprop-tutor",
                                 env=env, size=(columns, rows))
            # Not part of the bar: when the lesson list is there (packs loaded, progress opened).
            loaded = time_to_text([sys.executable, "-m", "tutor", "--data-dir", str(data_dir)], b"Review:",
                                  env=env, size=(columns, rows))
            if run:
                hello_times.append(hello)
                tutor_times.append(tutor)
                loaded_times.append(loaded)
    hello_median = statistics.median(hello_times)
    tutor_median = statistics.median(tutor_times)
    print(f"first paint, {arguments.runs} runs each, {columns}x{rows} pty, medians (min-max):")
    print(f"  bare Textual hello app : {hello_median * 1000:7.1f} ms  ({min(hello_times) * 1000:.0f}-{max(hello_times) * 1000:.0f})")
    print(f"  backprop-tutor home    : {tutor_median * 1000:7.1f} ms  ({min(tutor_times) * 1000:.0f}-{max(tutor_times) * 1000:.0f})")
    loaded_median = statistics.median(loaded_times)
    print(f"  lessons listed (info)  : {loaded_median * 1000:7.1f} ms  (packs loaded and progress opened in a worker)")
    ratio = tutor_median / hello_median
    print(f"  ratio                  : {ratio:.2f}  (bar: <= 1.30, {'met' if ratio <= 1.3 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
