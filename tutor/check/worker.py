"""A separate process for sympy work that may run long, with a hard time budget.

Algebra on a learner's formula can take minutes (``(a+b+c+d)^64`` expands into tens of
thousands of terms), and sympy can't be interrupted from the inside: ``signal.alarm`` only
works on the main thread, and the UI grades on a worker thread. So the algebra runs in a
child process (tutor/check/algebra.py's ``main``); when a job overruns its budget the child
is killed and the caller gets ``None``, which the grader reports as "unchecked", never
"incorrect".

Why a plain subprocess rather than ``multiprocessing``: its spawn and forkserver methods
re-import the caller's main script in the child, and forking a multi-threaded UI process is
unsafe. Messages are single JSON lines on the child's stdin/stdout (never pickles), and the
child parses the learner's text again with the same safe parser.

Starting a child costs a fraction of a second (importing sympy), so a spare child is kept
warm: after a kill the spare takes over at once and a new spare starts in the background.
:func:`warm_up` starts the child ahead of the first formula answer; the spare starts once the
child has answered its first job, so the two never import sympy at the same time, competing for
the CPU with the first answer (on two cores a one-shot ``grade`` paid for both).
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

DEFAULT_BUDGET_SECONDS = 0.6
STARTUP_TIMEOUT_SECONDS = 60.0


def _child_environment() -> dict[str, str]:
    """The child must import this very copy of ``tutor``, installed or not."""
    environment = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])
    existing = environment.get("PYTHONPATH")
    environment["PYTHONPATH"] = package_root + (os.pathsep + existing if existing else "")
    environment["PYTHONUNBUFFERED"] = "1"
    return environment


# The child runs tutor/check/algebra.py loaded from its file, not ``-m tutor.check.algebra``: importing it as
# part of tutor.check would import the whole checker first (tutor/check/__init__.py, ~0.1 s of CPU beside
# sympy's 0.2 s), none of which the algebra uses, and a formula answer waits for this start.
_BOOTSTRAP = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("tutor_algebra_process", sys.argv[1])
module = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = module
spec.loader.exec_module(module)
module.main(sys.argv[2:])
"""
_ALGEBRA_FILE = Path(__file__).with_name("algebra.py")


class _Child:
    """One algebra process (tutor/check/algebra.py's main) and a thread reading its replies."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _BOOTSTRAP, str(_ALGEBRA_FILE), str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=_child_environment(),
        )
        self.replies: queue.Queue[bytes | None] = queue.Queue()
        self.ready = False
        reader = threading.Thread(target=self._read, name="tutor-check-algebra-reader", daemon=True)
        reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        try:
            for line in self.process.stdout:
                self.replies.put(line)
        except (OSError, ValueError):
            pass
        self.replies.put(None)

    def receive(self, timeout: float) -> dict[str, Any] | None:
        """The next reply; None on timeout; EOFError when the child has gone."""
        try:
            line = self.replies.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            return None
        if line is None:
            raise EOFError("the algebra process exited")
        return json.loads(line.decode())

    def wait_until_ready(self, timeout: float) -> bool:
        if not self.ready:
            message = self.receive(timeout)
            self.ready = bool(message and message.get("ready"))
        return self.ready

    def send(self, job: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(job).encode() + b"\n")
        self.process.stdin.flush()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.process.stdin, self.process.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass


class AlgebraWorker:
    """Runs one job at a time in a child process, killing the child when a job overruns."""

    def __init__(self, keep_spare: bool = True) -> None:
        self._lock = threading.Lock()
        self._active: _Child | None = None
        self._spare: _Child | None = None
        self.keep_spare = keep_spare  # a caller that runs few jobs (validate) may turn it off
        self.kills = 0  # jobs that overran their budget

    def start(self) -> None:
        """Start the child (and a spare) now, without waiting for them to be ready."""
        with self._lock:
            self._promote()

    def run(self, job: dict[str, Any], budget: float = DEFAULT_BUDGET_SECONDS) -> dict[str, Any] | None:
        """The child's reply to ``job``, or None when ``budget`` seconds of work weren't enough.

        Waiting for a child that is still starting doesn't count against the budget: the budget
        is about the answer, not about importing sympy.
        """
        if not self._lock.acquire(timeout=max(budget, 0.0)):
            return None  # another answer is still being checked
        try:
            child = self._promote()
            if not child.wait_until_ready(STARTUP_TIMEOUT_SECONDS):
                self._discard_active()
                return {"status": "error", "detail": "the algebra process did not start"}
            child.send(job)
            reply = child.receive(budget)
            if reply is None:
                self.kills += 1
                self._discard_active()
                self._promote()  # the spare takes over; a new spare starts once it has answered
                return None
            self._ensure_spare()  # after the answer, not before it: its start would compete with this job
            return reply
        except (EOFError, OSError, ValueError) as error:
            self._discard_active()
            return {"status": "error", "detail": f"the algebra process stopped ({type(error).__name__})"}
        finally:
            self._lock.release()

    def ready_now(self) -> bool:
        """Whether the process is started and ready to take a job, without waiting (False while a job runs)."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            child = self._active
            return child is not None and child.process.poll() is None and child.wait_until_ready(0)
        except (EOFError, OSError, ValueError):
            return False
        finally:
            self._lock.release()

    def stop(self) -> None:
        with self._lock:
            for child in (self._active, self._spare):
                if child is not None:
                    child.kill()
            self._active = self._spare = None

    @property
    def pid(self) -> int | None:
        return self._active.process.pid if self._active is not None else None

    def _promote(self) -> _Child:
        if self._active is not None and self._active.process.poll() is not None:
            self._discard_active()
        if self._active is None:
            self._active, self._spare = (self._spare or _Child()), None
        if self._active.ready:
            self._ensure_spare()
        return self._active

    def _ensure_spare(self) -> None:
        if self.keep_spare and (self._spare is None or self._spare.process.poll() is not None):
            self._spare = _Child()

    def _discard_active(self) -> None:
        if self._active is not None:
            self._active.kill()
        self._active = None


_worker: AlgebraWorker | None = None
_worker_lock = threading.Lock()


def algebra_worker() -> AlgebraWorker:
    global _worker
    with _worker_lock:
        if _worker is None:
            _worker = AlgebraWorker()
            atexit.register(_worker.stop)
        return _worker


def warm_up() -> None:
    """Start the algebra process now, so the first formula answer doesn't wait for sympy to import."""
    algebra_worker().start()


def is_ready() -> bool:
    """Whether the algebra process is ready for a job now (never waits, never starts it)."""
    return _worker is not None and _worker.ready_now()


def wait_until_ready(timeout: float = STARTUP_TIMEOUT_SECONDS) -> bool:
    """Block until the algebra process answers (for benchmarks and tests that time the warm path)."""
    started = time.monotonic()
    reply = algebra_worker().run({"job": "ping"}, budget=timeout)
    return bool(reply and reply.get("status") == "pong") and time.monotonic() - started <= timeout
