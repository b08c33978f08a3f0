"""What a check of a learner's file reports, and how a failed child process is put into words.

Shared by the graph checks (checking.py) and the other checks (extras.py), which checking.py
dispatches to; kept apart so that neither has to import the other's module back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tutor.exercises.harness import ChildAnswer


@dataclass
class CheckResult:
    name: str
    passed: bool
    message: str


@dataclass
class Report:
    passed: bool
    checks: list[CheckResult] = field(default_factory=list)
    diagnosis: str | None = None
    message: str = ""
    drawing: str = ""

    def as_json(self) -> dict:
        return {"passed": self.passed, "checks": [vars(check) for check in self.checks],
                "diagnosis": self.diagnosis, "message": self.message, "drawing": self.drawing}


def child_problem(answer: ChildAnswer, timeout: float) -> str | None:
    """A message for a child that timed out, crashed or could not load the file; None when it ran."""
    if answer.timed_out:
        return (f"Your code did not finish within {timeout:g} seconds (an endless loop? a backward() that "
                "never stops?). It was stopped.")
    if answer.crashed:
        return f"Your code crashed the checker's process ({answer.crashed}).\n{answer.output}".rstrip()
    if answer.load_error:
        return "Your file could not be loaded:\n" + answer.load_error
    return None


def stopped_report(problem: str, finished: dict[int, CheckResult], names: list[str]) -> Report:
    """The report of a child that timed out, crashed or did not load: the checks it finished, then the
    one it was running when it stopped (an endless loop is in that check's program), failed."""
    done = [finished[index] for index in sorted(finished)]
    if len(done) < len(names) and done:
        running = names[len(done)]
        problem = f"{problem}\nIt stopped during the check {running}."
        return Report(False, [*done, CheckResult(running, False, problem)], "runtime-error", problem)
    return Report(False, [CheckResult("load", False, problem)], "runtime-error", problem)
