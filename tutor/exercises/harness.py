"""Run the learner's file in a child process with limits, and read back its answers.

The child is ``python -I runner.py`` (isolated mode: no user site, no PYTHON* variables, the
script's folder not on sys.path) with CPU-time and address-space limits, a wall-clock timeout,
no standard input, its output captured and cut short, and its own process group, which is
killed as a whole on timeout so nothing the learner started survives.
"""

from __future__ import annotations

import io
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

RUNNER = Path(__file__).with_name("runner.py")
CPU_SECONDS = 10
ADDRESS_SPACE_BYTES = 1 << 30
OUTPUT_LIMIT = 2000


@dataclass
class ChildAnswer:
    load_error: str | None
    results: list[dict]
    timed_out: bool = False
    crashed: str | None = None  # how the child ended when it wrote no answer
    output: str = ""


def _limit_resources() -> None:  # runs in the child between fork and exec
    import resource

    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_BYTES, ADDRESS_SPACE_BYTES))


ResultCallback = Callable[[int, dict], None]


def run_in_child(module_path: Path, tasks: list[dict], timeout: float = 10.0,
                 on_result: ResultCallback | None = None) -> ChildAnswer:
    """Run ``tasks`` with the learner's module in a child; ``on_result(index, result)`` as each one finishes.

    The child writes JSON lines to a pipe of its own (the learner's prints go to stdout, read apart),
    so a result is known the moment its task is done, not when the whole run ends.
    """
    with tempfile.TemporaryDirectory(prefix="backprop-tutor-check-") as folder:
        request = Path(folder) / "request.json"
        request.write_text(json.dumps({"module": str(Path(module_path).resolve()), "tasks": tasks}), encoding="utf-8")
        read_end, write_end = os.pipe()
        try:
            process = subprocess.Popen(
                [sys.executable, "-I", str(RUNNER), str(request), str(write_end)],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                cwd=folder, start_new_session=True, preexec_fn=_limit_resources, pass_fds=(write_end,),
            )
        except BaseException:
            os.close(read_end)
            raise
        finally:
            os.close(write_end)  # the child has its own copy; ours would keep the pipe from ending
        output = _OutputReader(process)
        deadline = time.monotonic() + timeout
        lines, finished, timed_out = _read_answer(read_end, deadline, tasks, on_result)
        try:
            if finished:  # the answer is in; the child only has to exit (an atexit hook may not)
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _kill_group(process)  # on timeout, and the learner's own children if it started any
            process.wait()
        text = output.text()
        if timed_out:
            return ChildAnswer(None, [], timed_out=True, output=text)
        if not finished:
            how = f"stopped by signal {-process.returncode}" if process.returncode < 0 else f"exited with code {process.returncode}"
            return ChildAnswer(None, [], crashed=how, output=text)
        load_error = next((line["load_error"] for line in lines if "load_error" in line), None)
        results = [line["result"] for line in lines if "result" in line]
        return ChildAnswer(load_error, results, output=text)


def _read_answer(fd: int, deadline: float, tasks: list[dict],
                 on_result: ResultCallback | None) -> tuple[list[dict], bool, bool]:
    """The child's answer lines until its ``done`` line, its end or the deadline: (lines, finished, timed out)."""
    lines: list[dict] = []
    buffer = b""
    with os.fdopen(fd, "rb", buffering=0) as pipe:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return lines, False, True
            ready, _, _ = select.select([pipe], [], [], remaining)
            if not ready:
                continue  # the deadline is checked above
            chunk = pipe.read(65536)
            if not chunk:
                return lines, False, False  # the child ended without its done line: it crashed
            buffer += chunk
            while b"\n" in buffer:
                raw, buffer = buffer.split(b"\n", 1)
                try:
                    line = json.loads(raw)
                except ValueError:
                    continue  # not the runner's (the learner wrote to the pipe): ignored
                if not isinstance(line, dict):
                    continue
                if line.get("done"):
                    return lines, True, False
                if "result" in line and isinstance(line.get("index"), int) and 0 <= line["index"] < len(tasks):
                    if on_result is not None:
                        on_result(line["index"], line["result"])
                lines.append(line)


class _OutputReader:
    """Drains the child's stdout in a thread (a learner printing a lot must not block it), keeping the start."""

    def __init__(self, process: subprocess.Popen) -> None:
        self._chunks: list[bytes] = []
        self._size = 0
        self._stream = process.stdout
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        stream = self._stream
        assert isinstance(stream, io.BufferedReader)  # Popen's stdout=PIPE, unbuffered=False
        for chunk in iter(lambda: stream.read1(65536), b""):
            if self._size <= OUTPUT_LIMIT:
                self._chunks.append(chunk)
                self._size += len(chunk)

    def text(self) -> str:
        self._thread.join(timeout=5.0)  # the group is killed by now, so the pipe has ended
        text = b"".join(self._chunks).decode("utf-8", "replace")
        if len(text) > OUTPUT_LIMIT:
            text = text[:OUTPUT_LIMIT] + "\n[... output cut short]"
        return text


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
