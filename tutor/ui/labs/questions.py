"""Checked questions inside a lab, one shown at a time, and recording their answers as progress.

The questions come from the lab core (``lab.questions()``), whose expected answers were computed
by running the lab. Numeric answers are graded by the checker (:func:`tutor.check.grade_numeric`,
with the question's absolute tolerance); choice answers by comparing option ids. The panel posts
:class:`QuestionPanel.Answered` for every graded answer; the screen records it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Static

from tutor.labs import LabQuestion
from tutor.ui.grading import Judgement
from tutor.ui.labs.controls import NumericField
from tutor.ui.widgets.choice_list import ChoiceList
from tutor.ui.widgets.feedback import FeedbackPanel

# After this many wrong answers to one question its explanation is offered as a hint.
WRONG_TRIES_BEFORE_HINT = 2


def grade_question(question: LabQuestion, answer: str) -> Judgement:
    """Grade one answer: the checker for numbers, the option id for choices. Never raises."""
    answer = answer.strip()
    if question.kind == "choice":
        if not answer:
            return Judgement("invalid", answer, "Pick an option first.")
        if answer == question.expected:
            return Judgement("correct", answer, question.explanation)
        return Judgement("incorrect", answer, "Not this one. Try it in the lab, then answer again.")
    if not answer:
        return Judgement("invalid", answer, "Type a number first (an expression such as 2^-3 or 1/8 works too).")
    from tutor.check import Tolerance, grade_numeric
    from tutor.ui.grading import judgement_from_result

    # LabQuestion.tolerance is absolute (an integer count must be exact; a measured value is
    # right to the digits the question asks for), so the relative part is switched off.
    tolerance = None if question.tolerance is None else Tolerance(rel=0.0, abs=question.tolerance)
    try:
        result = grade_numeric(answer, question.expected, tolerance=tolerance)
    except Exception as error:  # noqa: BLE001 - a checker failure is reported, not raised into the UI
        return Judgement("unchecked", answer, f"This answer could not be checked: {error}")
    judgement = judgement_from_result(result, answer)
    if judgement.verdict == "correct" and question.explanation:
        judgement = replace(judgement, explanation=question.explanation)
    elif judgement.verdict == "incorrect":
        # The checker's message names the right answer, which would end the experiment before it
        # starts: in a lab the learner measures it (or asks for it with ctrl+g).
        nudge = "Check the sign." if judgement.diagnosis == "sign-flip" else "Try it in the lab and look again."
        judgement = replace(judgement, message=f"{answer} is not it. {nudge}", expected=None)
    return judgement


def answer_text(question: LabQuestion) -> str:
    """The right answer as the learner would read it (a choice's option text, or the number)."""
    if question.kind == "choice":
        option = next((option for option in question.options if option.id == question.expected), None)
        return option.text if option is not None else question.expected
    return question.expected


@dataclass
class QuestionState:
    tries: int = 0
    wrong: int = 0
    solved: bool = False
    revealed: bool = False  # the learner asked for the answer (ctrl+g)
    draft: str = ""
    judgement: Judgement | None = None
    started: float = 0.0


class QuestionPanel(Vertical):
    """One lab question at a time; PgUp/PgDn (on the screen) move between them."""

    DEFAULT_CSS = """
    QuestionPanel { height: auto; max-height: 60%; border-top: solid $primary 50%; padding: 0 1; }
    QuestionPanel #question-nav { height: 1; }
    QuestionPanel #question-status { width: 1fr; height: 1; }
    QuestionPanel #question-setup { min-width: 10; margin-left: 1; }
    QuestionPanel #question-setup.-hidden { display: none; }
    QuestionPanel #question-text { height: auto; }
    QuestionPanel #question-answer { height: 1; }
    QuestionPanel #question-answer.-hidden { display: none; }
    QuestionPanel #question-answer > Static { width: auto; padding-right: 1; color: $text-muted; }
    QuestionPanel #question-input { width: 1fr; }
    QuestionPanel #question-options { height: auto; max-height: 6; border: none; padding: 0; }
    QuestionPanel #question-options.-hidden { display: none !important; }
    QuestionPanel FeedbackPanel { border: none; border-left: outer $panel; max-height: 8; }
    QuestionPanel FeedbackPanel.-correct { border: none; border-left: outer $success; }
    QuestionPanel FeedbackPanel.-incorrect { border: none; border-left: outer $error; }
    QuestionPanel FeedbackPanel.-invalid { border: none; border-left: outer $warning; }
    QuestionPanel FeedbackPanel.-empty { display: none !important; }
    """

    @dataclass
    class Answered(Message):
        question: LabQuestion
        judgement: Judgement
        seconds: float

    @dataclass
    class SetupRequested(Message):
        question: LabQuestion

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.questions: tuple[LabQuestion, ...] | None = None
        self.index = 0
        self.states: dict[str, QuestionState] = {}
        self.load_error: str | None = None
        self._options_shown_for: str | None = None
        self._latest_submission = 0  # answers graded out of order (the first one imports the checker) are dropped

    def compose(self) -> ComposeResult:
        with Horizontal(id="question-nav"):
            yield Static("Questions", id="question-status")
            yield Button("Set up", id="question-setup", compact=True, classes="-hidden")
        yield Static("Working out this lab's answers by running it…", id="question-text")
        with Horizontal(id="question-answer", classes="-hidden"):
            yield Static("answer")
            yield NumericField(placeholder="a number or expression, Enter checks", id="question-input", compact=True)
        yield ChoiceList([], id="question-options", classes="-hidden", compact=True)
        yield FeedbackPanel(id="question-feedback")

    # ------------------------------------------------------------------ loading

    def show_questions(self, questions: tuple[LabQuestion, ...]) -> None:
        self.questions = tuple(questions)
        now = time.monotonic()
        self.states = {question.id: QuestionState(started=now) for question in self.questions}
        self.index = 0
        self._draw()

    def show_load_error(self, message: str) -> None:
        self.load_error = message
        self.query_one("#question-text", Static).update(Text(f"The questions could not be prepared: {message}",
                                                             style="yellow"))

    @property
    def loaded(self) -> bool:
        return self.questions is not None

    @property
    def current(self) -> LabQuestion | None:
        if not self.questions:
            return None
        return self.questions[self.index]

    @property
    def all_settled(self) -> bool:
        """Every question answered right, or its answer shown."""
        return bool(self.questions) and all(state.solved or state.revealed for state in self.states.values())

    def solved_count(self) -> int:
        return sum(state.solved for state in self.states.values())

    # ------------------------------------------------------------------ moving between questions

    def move(self, delta: int) -> None:
        if not self.questions:
            return
        self._save_draft()
        self.index = (self.index + delta) % len(self.questions)
        self._draw()

    def focus_answer(self) -> None:
        question = self.current
        if question is None:
            return
        target = self.query_one("#question-options" if question.kind == "choice" else "#question-input")
        target.focus()

    def _save_draft(self) -> None:
        question = self.current
        if question is not None and question.kind == "numeric":
            self.states[question.id].draft = self.query_one("#question-input", Input).value

    def _draw(self) -> None:
        question = self.current
        if question is None or self.questions is None:
            return
        state = self.states[question.id]
        marks = Text("Question ", style="bold")
        marks.append(f"{self.index + 1} of {len(self.questions)} " + (" " if len(self.questions) <= 4 else ""),
                     style="bold")
        for position, other in enumerate(self.questions):
            other_state = self.states[other.id]
            if other_state.solved:
                mark, style = "✓", "green"
            elif other_state.revealed:
                mark, style = "·", "yellow"
            elif other_state.wrong:
                mark, style = "✗", "red"
            else:
                mark, style = "○", "dim"
            if position == self.index:
                style += " reverse"
            # Five or more questions: tighter marks, so "PgDn: next" still fits beside them at 80 columns.
            marks.append(f" {mark} " if len(self.questions) <= 4 else f"{mark} ", style=style)
        if len(self.questions) > 1:
            marks.append("  PgDn: next" if len(self.questions) <= 4 else " PgDn ▸", style="dim")
        self.query_one("#question-status", Static).update(marks)
        self.query_one("#question-setup", Button).set_class(not question.settings, "-hidden")
        self.query_one("#question-text", Static).update(Text(question.text))
        answer_row = self.query_one("#question-answer")
        options = self.query_one("#question-options", ChoiceList)
        field = self.query_one("#question-input", Input)
        if question.kind == "choice":
            answer_row.add_class("-hidden")
            options.remove_class("-hidden")
            if self._options_shown_for != question.id:  # redrawing after an answer keeps the learner's place
                self._options_shown_for = question.id
                options.show_options([(option.id, Text(option.text)) for option in question.options])
            options.disabled = state.solved or state.revealed
        else:
            options.add_class("-hidden")
            answer_row.remove_class("-hidden")
            field.value = state.draft
            field.disabled = state.solved or state.revealed
        # A settled question's field is disabled and loses focus; on a short terminal the feedback
        # (hidden while the panel is not in use) must still show its verdict and explanation.
        self.set_class(state.solved or state.revealed, "-settled")
        feedback = self.query_one("#question-feedback", FeedbackPanel)
        if state.judgement is None:
            feedback.clear()
        else:
            feedback.show(state.judgement)

    # ------------------------------------------------------------------ answering

    @on(Input.Submitted, "#question-input")
    def _numeric_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        question = self.current
        state = self.states[question.id] if question is not None else None
        if question is None or state.solved or state.revealed:
            return
        self._latest_submission += 1
        self._grade(question, event.value, self._latest_submission)

    @on(ChoiceList.Checked, "#question-options")
    def _choice_checked(self, event: ChoiceList.Checked) -> None:
        event.stop()
        question = self.current
        state = self.states[question.id] if question is not None else None
        if question is None or state.solved or state.revealed:
            return
        self._show(question, grade_question(question, event.option_ids[0]))

    @on(ChoiceList.NothingChosen, "#question-options")
    def _nothing_chosen(self, event: ChoiceList.NothingChosen) -> None:
        event.stop()
        letters = event.choice_list.letters
        self.query_one("#question-feedback", FeedbackPanel).show_text(
            f"Nothing is chosen yet. {letters} (or ↑/↓) to choose, Enter to check.", kind="info", title="choose first")

    @work(thread=True, group="grade", exit_on_error=False)
    def _grade(self, question: LabQuestion, answer: str, submission: int) -> None:
        # The checker may import sympy on first use: off the UI thread.
        judgement = grade_question(question, answer)
        self.app.call_from_thread(self._graded, question, judgement, submission)

    def _graded(self, question: LabQuestion, judgement: Judgement, submission: int) -> None:
        if submission == self._latest_submission:
            self._show(question, judgement)

    def _show(self, question: LabQuestion, judgement: Judgement) -> None:
        state = self.states.get(question.id)
        if state is None:
            return
        seconds = max(0.0, time.monotonic() - state.started)
        state.started = time.monotonic()
        if judgement.counts:
            state.tries += 1
        if judgement.verdict == "correct":
            state.solved = True
        elif judgement.verdict == "incorrect":
            state.wrong += 1
            if state.wrong >= WRONG_TRIES_BEFORE_HINT:
                hint = f"**Hint:** {question.explanation} " if question.explanation else ""
                judgement = replace(judgement, diagnosis_text=hint + "*(ctrl+g twice shows the answer)*")
        state.judgement = judgement
        if question is self.current:
            self._save_draft()
            self._draw()
        self.post_message(self.Answered(question, judgement, seconds))

    def reveal_current(self) -> None:
        """Show the current question's answer (it then counts as settled, not solved)."""
        question = self.current
        if question is None:
            return
        state = self.states[question.id]
        if state.solved or state.revealed:
            return
        state.revealed = True
        judgement = Judgement("gave-up", "", f"The answer is {answer_text(question)}.",
                              explanation=question.explanation)
        self._show(question, judgement)

    @on(Button.Pressed, "#question-setup")
    def _setup(self, event: Button.Pressed) -> None:
        event.stop()
        if self.current is not None:
            self.post_message(self.SetupRequested(self.current))


# ---------------------------------------------------------------------- recording as progress


@dataclass
class LessonLink:
    """Where a lab was opened from: the session and the lesson holding its ``lab`` problem."""

    session: Any
    entry: Any
    problem: Any

    def attempt(self, question: LabQuestion, judgement: Judgement, seconds: float) -> Any:
        """An Attempt on the lab problem, the answer prefixed with the question id (like a trace's asks)."""
        from tutor.ui.recording import attempt_from

        event = SimpleNamespace(judgement=judgement, ask=question.id, problem_id=self.problem.id, hints_used=0,
                                seconds=seconds)
        return attempt_from(self.session, self.entry, event, variant_seed=None)


def find_lesson_link(app: Any, problem: Any) -> LessonLink | None:
    """The lesson a lab problem belongs to, if the app has a progress session (else None: nothing is recorded).

    The lesson screen under the lab is asked first (it knows exactly which lesson is open); failing
    that, the session's lessons are searched for the one lab problem with this id and lab name.
    """
    if problem is None:
        return None
    session = getattr(app, "session", None)
    if session is None or getattr(session, "store", None) is None:
        return None
    for screen in reversed(getattr(app, "screen_stack", [])):
        entry = getattr(screen, "entry", None)
        if entry is not None and getattr(screen, "session", None) is session and problem.id in entry.problem_ids:
            return LessonLink(session, entry, problem)
    matches = [
        entry for entry in session.lessons()
        for candidate in entry.lesson.problems()
        if candidate.id == problem.id and getattr(candidate, "lab", None) == getattr(problem, "lab", None)
    ]
    if len(matches) == 1:
        return LessonLink(session, matches[0], problem)
    return None
