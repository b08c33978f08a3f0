"""A ``code`` problem: the learner writes part of an autograd engine in their own editor.

The view shows the task, the path of the learner's file (the exercise's starter, copied into the data
folder's ``code/`` workspace on first open, as ``backprop-tutor code start`` does) and a table of
checks. ``e`` opens the file in ``$VISUAL``/``$EDITOR`` with the app suspended, ``r`` reruns the
checks, and a change to the file (its mtime, polled once a second) reruns them too. Checks run in a
thread worker (the harness runs the file in a child process, which reports each check as it
finishes): each finished check is posted as ``CheckDone`` and its row appears while the rest still
run. A failure then shows the harness's diagnosis and the smallest failing graph. Every run is
posted as an attempt.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from tutor.ui.grading import Judgement
from tutor.ui.textual_guards import dismiss_if_on_top
from tutor.ui.widgets.problems import OUTCOME_SOLVED, ProblemView, Prompt

POLL_SECONDS = 1.0
HEADLESS_EDITOR_TIMEOUT = 30.0  # an editor run without a terminal (tests) must not hang the app


def editor_command(path: Path, environ: dict[str, str] | None = None) -> list[str] | None:
    """``$VISUAL`` or ``$EDITOR`` (which may carry arguments), else nano, else vi; None when none is found."""
    environment = os.environ if environ is None else environ
    for variable in ("VISUAL", "EDITOR"):
        words = shlex.split(environment.get(variable, "") or "")
        if words:
            return [*words, str(path)]
    for fallback in ("nano", "vi"):
        found = shutil.which(fallback)
        if found:
            return [found, str(path)]
    return None


def summary_of(report) -> str:
    passed = sum(check.passed for check in report.checks)
    text = f"{passed}/{len(report.checks)} checks passed"
    return text + (f" ({report.diagnosis})" if report.diagnosis else "")


class TrustPackScreen(ModalScreen[bool]):
    """Asks once per pack before a file that started as that pack's starter runs: y runs it, n or Esc does not."""

    DEFAULT_CSS = """
    TrustPackScreen { align: center middle; }
    TrustPackScreen > Vertical {
        width: 90%; max-width: 84; height: auto; border: round $warning; background: $surface; padding: 0 1;
    }
    TrustPackScreen #trust-question { margin-bottom: 1; }
    TrustPackScreen #trust-keys { color: $text-muted; }
    """

    BINDINGS = [
        Binding("y", "answer(True)", "Yes, run it"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, pack_id: str, path: Path) -> None:
        super().__init__()
        self.pack_id = pack_id
        self.path = path

    def compose(self) -> ComposeResult:
        from tutor.exercises.workspace import trust_question

        with Vertical():
            yield Static(Text(f"Run the pack '{self.pack_id}' author's code?", style="bold"))
            yield Static(Text(trust_question(self.pack_id, self.path)), id="trust-question")
            yield Static(Text(f"y: yes, check it (not asked again for '{self.pack_id}')   n / Esc: no, "
                              "not now (e opens the file to read it)"), id="trust-keys")

    def action_answer(self, yes: bool) -> None:
        dismiss_if_on_top(self, yes)


class CodeProblemView(ProblemView):
    """Write a file; the tutor's harness checks it against the engine on fixed and random graphs."""

    DEFAULT_CSS = """
    CodeProblemView #body { height: 1fr; }
    CodeProblemView #code-file { padding: 0 1; }
    CodeProblemView #code-keys { padding: 0 1; color: $text-muted; }
    CodeProblemView #code-checks { padding: 0 1; margin-top: 1; height: auto; }
    CodeProblemView #code-message { padding: 0 1; height: auto; }
    CodeProblemView #code-message.-shown { margin-top: 1; }
    CodeProblemView #code-drawing { padding: 0 1; height: auto; }
    """

    BINDINGS = [
        Binding("e", "edit", "Edit file"),
        Binding("r", "check", "Check again"),
        Binding("down,j", "scroll(2)", "Scroll", show=False),
        Binding("up,k", "scroll(-2)", "Scroll", show=False),
    ]

    can_focus = True

    @dataclass
    class CheckDone(Message):
        """One check of a run has finished (posted from the worker while the others still run)."""

        run: int
        check: object  # tutor.exercises.report.CheckResult
        index: int
        total: int

    @dataclass
    class Checked(Message):
        run: int
        report: object  # tutor.exercises.Report

    def __init__(self, rendered, **kwargs) -> None:
        super().__init__(rendered, **kwargs)
        self.exercise_id: str = self.problem.exercise
        # The built-in exercise with the pack's `checks:` merged in: what every run checks against.
        self.exercise = self.problem.checked_exercise()
        self.path: Path | None = None
        self.file_error = ""
        self.report = None
        self.runs = 0  # check runs started; a result from an older run is dropped
        self.checking = False
        self._rerun_wanted = False
        self._stamp: tuple[float, int] | None = None  # the file as last seen by the watcher
        self._run_stamp: tuple[float, int] | None = None  # the file as the latest run read it
        self.partial: list = []  # the checks of the running run that have finished, in order
        self.report_run = 0  # the run whose whole report is on screen
        self.workspace: Path | None = None  # the data folder's code/: origins and trusted packs
        self.asking = False  # the trust dialog is open: no run until it is answered
        self.trusted_here: set[str] = set()  # packs said yes to whose answer could not be stored

    # -------------------------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="body"):
            yield Prompt(self.problem.prompt, id="prompt")
            yield Static(id="code-file")
            yield Static(Text("e: edit the file in your editor   r: check again   "
                              "(saving the file checks it too)"), id="code-keys")
            # The diagnosis and its graph above the list of checks: a value check has 23 of them, and
            # below them the message was off the foot of a 100x30 terminal, with no key to scroll to it.
            yield Static(id="code-message")
            yield Static(id="code-drawing")
            yield Static(Text("Not checked yet: edit the file (e) or check it (r).", style="dim"), id="code-checks")
            yield self.hint_ladder
            yield self.feedback

    def on_mount(self) -> None:
        self.path = self._workspace_file()
        shown = Text("Your file: ", style="bold")
        shown.append(str(self.path) if self.path else self.file_error, style="cyan" if self.path else "red")
        self.query_one("#code-file", Static).update(shown)
        self._stamp = self._file_stamp()
        self.set_interval(POLL_SECONDS, self._poll)

    def _pack(self) -> tuple[str | None, Path | None]:
        """The id and folder of the lesson's pack when it is not the built-in course (it may bring a starter)."""
        from tutor.packs.loader import ORIGIN_BUILTIN

        pack = getattr(getattr(self.screen, "entry", None), "pack", None)
        if pack is None or pack.origin == ORIGIN_BUILTIN or not pack.path.is_dir():
            return None, None
        return pack.id, pack.path

    def _workspace_file(self) -> Path | None:
        from tutor.exercises.workspace import WORKSPACE_FOLDER, start_file
        from tutor.progress.paths import resolve_data_dir

        options = getattr(self.app, "options", None)
        try:
            folder = resolve_data_dir(getattr(options, "data_dir", None)) / WORKSPACE_FOLDER
            self.workspace = folder
            pack_id, pack_folder = self._pack()
            return start_file(self.exercise_id, folder, pack_id=pack_id, pack_folder=pack_folder)
        except OSError as error:
            self.file_error = f"cannot write the starter file: {error.strerror or error}"
            return None

    def focus_answer(self) -> None:
        self.focus()

    # -------------------------------------------------------------------------------- the file

    def _file_stamp(self) -> tuple[float, int] | None:
        if self.path is None:
            return None
        try:
            status = self.path.stat()
        except OSError:
            return None
        return (status.st_mtime, status.st_size)

    def _poll(self) -> None:
        stamp = self._file_stamp()
        if stamp != self._stamp:
            self._stamp = stamp
            if stamp is not None:
                self.start_checks()

    def action_edit(self) -> None:
        if self.path is None:
            self.notify(self.file_error, severity="error")
            return
        from textual.app import SuspendNotSupported

        command = editor_command(self.path)
        if command is None:
            self.notify(f"No editor found: set $EDITOR, or open {self.path} yourself.", severity="warning")
            return
        failure: Exception | None = None
        try:
            with self.app.suspend():
                # Caught inside: an exception leaving the block would skip the app's resume and
                # leave the terminal blank (seen in tmux with EDITOR=nano and no nano installed).
                try:
                    subprocess.run(command, check=False)
                except (OSError, subprocess.SubprocessError) as error:
                    failure = error
        except SuspendNotSupported:
            # No terminal to hand over (a headless app, a test): only an editor the user named runs,
            # without the terminal, and never for long.
            if not (os.environ.get("VISUAL") or os.environ.get("EDITOR")):
                self.notify("Set $EDITOR to edit here, or open the file yourself.", severity="warning")
                return
            try:
                subprocess.run(command, check=False, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=HEADLESS_EDITOR_TIMEOUT)
            except (OSError, subprocess.SubprocessError) as error:
                failure = error
        if failure is not None:
            self.notify(f"Could not run the editor {command[0]!r} ({failure}); set $EDITOR, or open "
                        f"{self.path} yourself.", severity="error", timeout=8)
            return
        self.start_checks()

    def action_check(self) -> None:
        self.start_checks()

    # -------------------------------------------------------------------------------- checking

    def start_checks(self) -> None:
        if self.path is None or self.asking:
            return
        pack_id = self._untrusted_pack()
        if pack_id is not None:
            self._ask_trust(pack_id)
            return
        stamp = self._file_stamp()
        if self.checking:
            # Never two children at once: one more run once this one is in, if the file has changed
            # since it started (a key and the watcher seeing the same save make one run, not two).
            self._rerun_wanted = self._rerun_wanted or stamp != self._run_stamp
            return
        self.checking = True
        self._stamp = self._run_stamp = stamp  # the watcher need not rerun for what this run sees
        self.runs += 1
        self.partial = []
        self._show_message(Text(""), "")  # the last run's diagnosis is not this one's
        self.query_one("#code-checks", Static).update(Text("Checking your file…", style="yellow"))
        self._check(self.runs, self.path)

    def _untrusted_pack(self) -> str | None:
        from tutor.exercises.workspace import untrusted_origin

        if self.path is None or self.workspace is None:
            return None
        pack_id = untrusted_origin(self.path, self.workspace)
        return None if pack_id in self.trusted_here else pack_id

    def _ask_trust(self, pack_id: str) -> None:
        assert self.path is not None
        self.asking = True

        def answered(yes: bool | None) -> None:
            from tutor.exercises.workspace import trust_pack

            self.asking = False
            self._stamp = self._file_stamp()  # what the file is now: the watcher need not ask again for it
            if not yes:
                self.query_one("#code-checks", Static).update(Text(
                    f"Not checked: this file came from the pack '{pack_id}' and runs as Python when checked. "
                    "r asks again.", style="yellow"))
                return
            try:
                assert self.workspace is not None
                trust_pack(pack_id, self.workspace)
            except OSError as error:
                self.trusted_here.add(pack_id)  # yes for now; asked again next time
                self.notify(f"Could not remember the answer ({error}); it will be asked again next time.",
                            severity="warning")
            self.start_checks()

        self.app.push_screen(TrustPackScreen(pack_id, self.path), answered)

    @work(thread=True, group="grade")
    def _check(self, run: int, path: Path) -> None:
        from tutor.exercises import Report, check_file

        def done(check, index: int, total: int) -> None:
            self.post_message(self.CheckDone(run, check, index, total))

        try:
            report = check_file(self.exercise, path, on_check=done)
        except Exception as error:  # noqa: BLE001 - a harness bug must not take the lesson down
            report = Report(False, message=f"The checker could not check this file ({type(error).__name__}: {error}).")
        self.post_message(self.Checked(run, report))

    @on(CheckDone)
    def _check_done(self, event: CodeProblemView.CheckDone) -> None:
        event.stop()
        if event.run != self.runs or self.report_run == event.run:
            return  # an older run's, or one whose whole report is already shown
        self.partial.append(event.check)
        table = self._table(self.partial)
        left = event.total - len(self.partial)
        if left > 0:
            table.add_row(Text("…", style="yellow"), Text(f"{left} more running", style="yellow"))
        elif not all(check.passed for check in self.partial):
            table.add_row(Text("…", style="yellow"), Text("finding the smallest failing graph", style="yellow"))
        self.query_one("#code-checks", Static).update(table)

    @on(Checked)
    def _checked(self, event: CodeProblemView.Checked) -> None:
        event.stop()
        self.checking = False
        if event.run == self.runs:
            self.report_run = event.run
            self._show(event.report)
        if self._rerun_wanted:
            self._rerun_wanted = False
            self.start_checks()

    @staticmethod
    def _table(checks) -> Table:
        table = Table(box=None, show_header=False, padding=(0, 1))
        table.add_column("mark")
        table.add_column("check")
        for check in checks:
            table.add_row(Text("✓" if check.passed else "✗", style="green" if check.passed else "red"),
                          Text(check.name))
        return table

    def _show(self, report) -> None:
        self.report = report
        table = self._table(report.checks)
        if not report.checks:
            table.add_row(Text("✗", style="red"), Text("the file did not run"))
        self.query_one("#code-checks", Static).update(table)
        passed = bool(report.passed)
        message = Text(summary_of(report) + "\n", style="bold green" if passed else "bold red")
        message.append(report.message or ("Every check passed." if passed else ""), style="green" if passed else "")
        self._show_message(message, report.drawing or "")
        self.query_one("#body", VerticalScroll).scroll_home(animate=False)
        if self.completed:
            return  # solved already: the checks still show, but only the first solve is recorded
        verdict = "correct" if passed else "incorrect"
        judgement = Judgement(verdict, summary_of(report), report.message, diagnosis=report.diagnosis)
        # The skills learn from every run (the screen hands "code:EXERCISE" to the session's recorder).
        self.post_message(self.EntryGraded(self.problem_id, f"code:{self.exercise_id}", verdict, report.diagnosis))
        self.post_message(self.Attempted(self.problem_id, judgement, self.hints_used, self.seconds_since_last(),
                                         self.rendered.seed, passed))
        if passed:
            self.feedback.show_text(self.problem.explanation or "Every check passed.", kind="correct",
                                    title="checks passed")
            self.finish(OUTCOME_SOLVED)

    def _show_message(self, message: Text, drawing: str) -> None:
        box = self.query_one("#code-message", Static)
        box.update(message)
        box.set_class(bool(message.plain), "-shown")
        picture = self.query_one("#code-drawing", Static)
        picture.update(Text(drawing))
        picture.display = bool(drawing)  # an empty one still took a line

    def action_scroll(self, lines: int) -> None:
        self.query_one("#body", VerticalScroll).scroll_relative(y=lines, animate=False)

    def _check_command(self) -> str:
        """The command line that checks the file the way this view does (with the pack's checks, if any)."""
        pack = getattr(getattr(self.screen, "entry", None), "pack", None)
        if self.problem.checks is not None and pack is not None:
            return f"backprop-tutor code check --pack {pack.path} {self.problem.id} FILE"
        return f"backprop-tutor code check {self.exercise_id} FILE"

    def give_up(self) -> None:
        where = f" Your file stays at `{self.path}`" if self.path else ""
        text = f"Set aside.{where}; `{self._check_command()}` checks it any time."
        if self.problem.explanation:
            text += "\n\n" + self.problem.explanation
        self.feedback.show_text(text, kind="info", title="set aside")
        super().give_up()
