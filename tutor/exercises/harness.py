"""Run the learner's file in a child process with limits, and read back its answers.

The child is ``python -I runner.py`` (isolated mode: no user site, no PYTHON* variables, the
script's folder not on sys.path) with CPU-time and address-space limits, a wall-clock timeout,
no standard input, its output captured and cut short, and its own process group, which is
killed as a whole on timeout so nothing the learner started survives.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
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


def run_in_child(module_path: Path, tasks: list[dict], timeout: float = 10.0) -> ChildAnswer:
    with tempfile.TemporaryDirectory(prefix="backprop-tutor-check-") as folder:
        request = Path(folder) / "request.json"
        answer = Path(folder) / "answer.json"
        request.write_text(json.dumps({"module": str(Path(module_path).resolve()), "tasks": tasks}), encoding="utf-8")
        process = subprocess.Popen(
            [sys.executable, "-I", str(RUNNER), str(request), str(answer)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            cwd=folder, start_new_session=True, preexec_fn=_limit_resources,
        )
        timed_out = False
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(process)
            output, _ = process.communicate()
        finally:
            _kill_group(process)  # the learner's own children, if it started any
        text = output.decode("utf-8", "replace")
        if len(text) > OUTPUT_LIMIT:
            text = text[:OUTPUT_LIMIT] + "\n[... output cut short]"
        if timed_out:
            return ChildAnswer(None, [], timed_out=True, output=text)
        if not answer.exists():
            how = f"stopped by signal {-process.returncode}" if process.returncode < 0 else f"exited with code {process.returncode}"
            return ChildAnswer(None, [], crashed=how, output=text)
        data = json.loads(answer.read_text(encoding="utf-8"))
        return ChildAnswer(data["load_error"], data["results"], output=text)


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
