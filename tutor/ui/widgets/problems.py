"""One widget per problem kind, all speaking the same messages to the screen that hosts them.

A lesson and a quiz host problems the same way: they mount a :class:`ProblemView` for a rendered
variant and listen for

* :class:`ProblemView.Attempted` — one answer was judged (record it; invalid ones cost nothing),
* :class:`ProblemView.HintTaken` — the learner asked for the next hint,
* :class:`ProblemView.Completed` — solved, or given up (the worked solution is on screen).

Grading runs in a worker thread (``@work(thread=True)``) that posts ``Graded`` back, so typing
never stalls while sympy thinks.

Feedback on a wrong answer is a ladder, one rung per wrong try on the same entry: first the
checker's message (the mistake, and where), then also the rule in symbols (``RULE_AFTER_WRONG_TRIES``),
then the worked answer, which gives the right number away (``WORKED_AFTER_WRONG_TRIES``, or once the
learner has asked for the last hint, or gives up: then the whole solution is shown). Invalid answers
never count as tries.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from rich.markdown import Markdown as RichMarkdown
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Static

from tutor.packs.placeholders import FORMULA_EXAMPLES, NUMBER_EXAMPLES, answer_placeholders, neutral_placeholders
from tutor.ui.grading import Judgement, judge_answer, judge_choice
from tutor.ui.widgets import workspace
from tutor.ui.widgets.answer_input import AnswerInput
from tutor.ui.widgets.choice_list import ChoiceList
from tutor.ui.widgets.feedback import FeedbackPanel, HintLadder
from tutor.ui.widgets.graph_view import GraphView

OUTCOME_SOLVED = "solved"
OUTCOME_GAVE_UP = "gave-up"

GIVE_UP_CONFIRM_SECONDS = 3.0
RULE_AFTER_WRONG_TRIES = 2  # wrong tries on one entry before the general rule is shown beside the message
WORKED_AFTER_WRONG_TRIES = 3  # ... before its worked answer is shown
WORKED_NOTE = "Worked step: after more wrong tries, the last hint (F2), or giving up (ctrl+g)."
RULE_NOTE = "The rule comes with your next wrong try; the worked step after that."
EMPTY_ANSWER_NOTE = "Type your answer first (a number, or an expression like `2*7`), then press Enter."


def inline_markdown(text: str) -> Text:
    """`code` and **bold** for one-line option texts (block Markdown would add margins)."""
    result = Text()
    for piece in re.split(r"(`[^`]+`|\*\*[^*]+\*\*)", text.strip()):
        if piece.startswith("`") and piece.endswith("`") and len(piece) > 1:
            result.append(piece[1:-1], style="bold cyan")
        elif piece.startswith("**") and piece.endswith("**") and len(piece) > 3:
            result.append(piece[2:-2], style="bold")
        else:
            result.append(piece)
    return result


class Prompt(Static):
    DEFAULT_CSS = "Prompt { height: auto; padding: 0 1; margin-bottom: 1; }"

    def __init__(self, markdown: str, id: str | None = None) -> None:
        super().__init__(RichMarkdown(markdown.strip()), id=id)


class ProblemView(Vertical):
    """Base of every problem widget: hints, give-up, timing and the shared messages."""

    DEFAULT_CSS = """
    ProblemView { height: 1fr; }
    """

    BINDINGS = [
        Binding("f2,ctrl+n", "hint", "Hint"),
        Binding("ctrl+g", "give_up", "Give up"),
    ]

    @dataclass
    class Attempted(Message):
        problem_id: str
        judgement: Judgement
        hints_used: int
        seconds: float
        seed: int | None
        finished: bool  # True for the answer that completes the problem
        ask: str | None = None

    @dataclass
    class EntryGraded(Message):
        """One table entry graded right or wrong (a trace posts Attempted only for wrong entries and
        the finished table): what the skill estimates learn from."""

        problem_id: str
        ask: str
        verdict: str
        diagnosis: str | None

    @dataclass
    class HintTaken(Message):
        problem_id: str
        hints_used: int

    @dataclass
    class Completed(Message):
        problem_id: str
        outcome: str  # OUTCOME_SOLVED or OUTCOME_GAVE_UP
        hints_used: int

    @dataclass
    class Graded(Message):
        ask: str | None
        judgement: Judgement

    def __init__(self, rendered, *, id: str | None = None, graph_interval: float = 0.8) -> None:
        super().__init__(id=id)
        self.rendered = rendered
        self.problem = rendered.problem
        self.graph_interval = graph_interval
        self.hint_ladder = HintLadder(list(self.problem.hints), id="hints",
                                      entry_hints=getattr(self.problem, "entry_hints", None))
        self.feedback = FeedbackPanel(id="feedback")
        self.completed: str | None = None
        self._started = time.monotonic()
        self._give_up_armed_at: float | None = None
        self.wrong_tries: dict[str | None, int] = {}  # per entry (the trace ask; None for a one-answer problem)
        self._feedback_key: str | None = None  # the entry the judgement on screen is about

    # -------------------------------------------------------------------------------- shared behaviour

    @property
    def problem_id(self) -> str:
        return self.problem.id

    @property
    def hints_used(self) -> int:
        return self.hint_ladder.shown

    def seconds_since_last(self) -> float:
        now = time.monotonic()
        seconds, self._started = now - self._started, now
        return max(0.0, seconds)

    def action_hint(self) -> None:
        if self.completed:
            return
        if self.hint_ladder.next_hint():
            self.post_message(self.HintTaken(self.problem_id, self.hints_used))
        if self.hint_ladder.exhausted:
            self._show_worked_now()

    # -------------------------------------------------------------------------------- feedback

    def worked_unlocked(self, key: str | None = None) -> bool:
        """May the worked answer of this entry be shown? After enough wrong tries, or the last hint."""
        return self.wrong_tries.get(key, 0) >= WORKED_AFTER_WRONG_TRIES or self.hint_ladder.exhausted_for(key)

    def rule_unlocked(self, key: str | None = None) -> bool:
        return self.wrong_tries.get(key, 0) >= RULE_AFTER_WRONG_TRIES or self.worked_unlocked(key)

    def show_judgement(self, judgement: Judgement, *, key: str | None = None, about: str | None = None) -> None:
        """Show a graded answer: count a wrong try on ``key``, and add the rule, then the worked answer, as they unlock."""
        if judgement.verdict == "incorrect":
            self.wrong_tries[key] = self.wrong_tries.get(key, 0) + 1
        self._feedback_key = key
        rule = self.rule_unlocked(key)
        note = WORKED_NOTE if rule or not judgement.rule else RULE_NOTE
        self.feedback.show(judgement, about=about, rule=rule, worked=self.worked_unlocked(key), worked_note=note)

    def _show_worked_now(self) -> None:
        """The last hint was taken: the wrong answer on screen gets its worked answer."""
        shown = self.feedback.judgement
        if not self.worked_unlocked(self._feedback_key):
            return  # the hints were another entry's: the wrong answer on screen keeps its own ladder
        if shown is not None and shown.verdict == "incorrect" and not self.feedback.worked_shown:
            self.feedback.show(shown, about=self.feedback.about, rule=True, worked=True)

    def action_give_up(self) -> None:
        if self.completed:
            return
        now = time.monotonic()
        if self._give_up_armed_at is None or now - self._give_up_armed_at > GIVE_UP_CONFIRM_SECONDS:
            self._give_up_armed_at = now
            self.notify("Press ctrl+g again to give up and see the worked solution.", title="Give up?", timeout=3)
            return
        self._give_up_armed_at = None
        self.give_up()

    def give_up(self) -> None:
        """Show the solution; subclasses add what they reveal, then call :meth:`finish`."""
        self.finish(OUTCOME_GAVE_UP)

    def finish(self, outcome: str) -> None:
        if self.completed:
            return
        self.completed = outcome
        if outcome == OUTCOME_GAVE_UP:
            judgement = Judgement("gave-up", "", "")
            self.post_message(self.Attempted(self.problem_id, judgement, self.hints_used, self.seconds_since_last(),
                                             self.rendered.seed, True))
        self.post_message(self.Completed(self.problem_id, outcome, self.hints_used))

    def focus_answer(self) -> None:
        """Put the cursor where the learner types."""

    def answer_box(self) -> Input | None:
        """The text box typing goes to now (None when the problem is not answered by typing)."""
        return None

    def on_key(self, event: events.Key) -> None:
        """A character typed while the graph or a scrolling pane has the cursor belongs in the answer box.

        Tab moves the cursor to the graph (to scroll it) and on to the scrollable side pane; the digits a
        learner then typed reached no box and were lost (tmux, 80x24, lesson 2). Keys the focused widget or
        a screen binds (hjkl and the arrows scroll the graph, q quits) keep their meaning."""
        box = self.answer_box()
        focused = self.app.focused
        if box is None or box.disabled or focused is None or focused is box \
                or isinstance(focused, (Input, ChoiceList, Button)):
            return
        if not event.is_printable or not event.character or event.key in self.app.active_bindings:
            return
        event.stop()
        event.prevent_default()
        if isinstance(box, AnswerInput):
            box.type_while_focusing(event.character)
        else:
            box.focus()
            box.insert_text_at_cursor(event.character)


# The answer box's placeholder, longest first: the box shows the longest that fits beside the graph.
# Its example is checked against the problem (tutor.packs.placeholders) so that it is never the answer.
ANSWER_PLACEHOLDERS = NUMBER_EXAMPLES[0][0]
FORMULA_PLACEHOLDERS = FORMULA_EXAMPLES[0][0]


class AnswerProblemView(ProblemView):
    """``ask`` and ``numeric``: one answer typed as a number or expression."""

    DEFAULT_CSS = """
    AnswerProblemView #body { height: 1fr; }
    AnswerProblemView #answer-side { height: auto; }
    AnswerProblemView #answer-row { height: auto; margin: 0 1; }
    AnswerProblemView #answer-row > Static { width: auto; padding-right: 1; }
    AnswerProblemView #answer { width: 1fr; }
    AnswerProblemView #workspace { height: 1fr; }
    AnswerProblemView #side { width: 46; }
    """

    SIDE_MIN = 34  # the prompt, the answer box and the feedback beside the graph
    SIDE_MAX = 64
    SIDE_TIGHT = 26  # narrower still when that shows the whole graph (the placeholder shortens to fit)

    def __init__(self, rendered, **kwargs) -> None:
        super().__init__(rendered, **kwargs)
        # A neutral placeholder until a worker has checked which example is not this variant's answer.
        self.answer_input = AnswerInput(placeholders=neutral_placeholders(rendered), id="answer", compact=True)
        self.graph_view = None
        problem = self.problem
        if problem.kind == "ask" and getattr(problem, "graph", False):
            from tutor.graph import build_graph  # deferred: most problems draw no graph

            graph = build_graph(problem.program, rendered.at)
            self.graph_view = GraphView(graph, interval=self.graph_interval, id="graph")
            self._graph = graph

    def compose(self) -> ComposeResult:
        if self.graph_view is None:
            with VerticalScroll(id="body"):
                yield from self._answer_side()
            return
        # With a graph: the graph takes the room it needs, the question and its feedback the rest.
        with Horizontal(id="workspace"):
            yield self.graph_view
            with VerticalScroll(id="side"):
                yield from self._answer_side()

    def _answer_side(self) -> ComposeResult:
        yield Prompt(self.problem.prompt, id="prompt")
        with Horizontal(id="answer-row"):
            yield Static(self._answer_label())
            yield self.answer_input
        yield self.hint_ladder
        yield self.feedback

    def on_resize(self) -> None:
        if self.graph_view is None:
            return
        drawing_width, drawing_height = self.graph_view.drawing_size()
        arrangement = workspace.arrange(self.size.width, self.size.height, drawing_width, drawing_height,
                                        side_min=self.SIDE_MIN, side_max=self.SIDE_MAX, side_tight=self.SIDE_TIGHT,
                                        compact_size=self.graph_view.compact_drawing_size())
        workspace.apply(arrangement, self.query_one("#workspace"), self.graph_view, self.query_one("#side"))

    def _answer_label(self) -> str:
        ask = getattr(self.problem, "ask", None)
        if ask is None:
            return "Answer:"
        kind, _, what = ask.partition(":")
        output = self._graph.output if self.graph_view is not None else "output"
        if kind == "value":
            return f"{what} ="
        if kind == "grad":
            return f"∂{output}/∂{what} ="
        if kind == "local":
            node, _, operand = what.partition("/")
            return f"∂{node}/∂{operand} ="
        from tutor.expr import ParseError, parse_program

        try:
            output = parse_program(self.problem.program).output
        except ParseError:
            output = "output"
        if kind == "derivative2":
            return f"d²{output}/d{what}² ="
        return f"d{output}/d{what} ="

    @dataclass
    class PlaceholderChosen(Message):
        placeholders: tuple[str, ...]

    def on_mount(self) -> None:
        if self.graph_view is not None:
            self.graph_view.show_state(self._graph_state())
        self._choose_placeholder()

    @work(thread=True, group="placeholder", exclusive=True)
    def _choose_placeholder(self) -> None:
        self.post_message(self.PlaceholderChosen(answer_placeholders(self.rendered)))

    @on(PlaceholderChosen)
    def _placeholder_chosen(self, event: PlaceholderChosen) -> None:
        event.stop()
        self.answer_input.show_placeholders(event.placeholders)

    def _graph_state(self, reveal: bool = False):
        from tutor.render import exercise_state, finished_state

        graph = self._graph
        if reveal:
            return finished_state(graph)
        kind, _, what = self.problem.ask.partition(":")
        values = set(graph.order)
        asked_values: set[str] = set()
        asked_grads: set[str] = set()
        active_node = None
        active_edge = None
        if kind == "value":
            # Hide the asked node and everything computed from it: L = 42.25 downstream would give z2 away.
            hidden = {what}
            for edge in graph.edges:  # edges are listed in evaluation order, so one sweep finds every descendant
                if edge.source in hidden:
                    hidden.add(edge.target)
            values -= hidden
            asked_values.add(what)
            active_node = what
        elif kind == "grad":
            asked_grads.add(what)
            active_node = what
        elif kind == "local":
            # Highlight the edge whose local derivative is asked for.
            node_id, _, operand = what.partition("/")
            active_node = node_id
            active_edge = next((edge for edge in graph.edges if edge.target == node_id and edge.source == operand),
                               None)
        return exercise_state(graph, revealed_values=values, asked_values=asked_values, asked_grads=asked_grads,
                              active_node=active_node, active_edge=active_edge)

    def focus_answer(self) -> None:
        if not self.completed:
            self.answer_input.focus()

    def answer_box(self) -> Input | None:
        return None if self.completed or self.answer_input.disabled else self.answer_input

    @on(Input.Submitted, "#answer")
    def _submit(self, event: Input.Submitted) -> None:
        event.stop()
        if self.completed:
            return
        if not event.value.strip():
            self.feedback.show_text(EMPTY_ANSWER_NOTE, kind="info", title="feedback")
            return
        self._grade(event.value)

    @work(thread=True, group="grade", exclusive=True)
    def _grade(self, text: str) -> None:
        try:
            judgement = judge_answer(self.rendered, text)
        except Exception as error:  # noqa: BLE001 - a checker bug must not take the lesson down
            judgement = Judgement("unchecked", text, f"The checker could not judge this answer ({error}).")
        self.post_message(self.Graded(None, judgement))

    @on(ProblemView.Graded)
    def _graded(self, event: ProblemView.Graded) -> None:
        event.stop()
        if self.completed:
            return
        judgement = event.judgement
        finished = judgement.verdict == "correct"
        if finished:
            judgement = judgement.with_explanation(self.problem.explanation)
        self.show_judgement(judgement)
        self.post_message(self.Attempted(self.problem_id, judgement, self.hints_used, self.seconds_since_last(),
                                         self.rendered.seed, finished))
        if finished:
            self.answer_input.disabled = True
            if self.graph_view is not None:
                self.graph_view.show_state(self._graph_state(reveal=True))
            self.finish(OUTCOME_SOLVED)
        else:
            # Selected, so typing the next try replaces it while arrows still allow editing it; not when
            # the learner has already typed on while this answer was being graded.
            self.answer_input.focus()
            if self.answer_input.value.strip() == judgement.answer_text:
                self.answer_input.select_all()

    def give_up(self) -> None:
        from tutor.ui.grading import expected_answer_text, worked_solution

        expected = expected_answer_text(self.rendered)
        text = f"The answer is **{expected}**." if expected else "Here is the worked answer."
        worked = worked_solution(self.rendered)
        if worked:
            text += f"\n\n`{worked}`"
        if self.problem.explanation:
            text += "\n\n" + self.problem.explanation
        self.feedback.show_text(text, kind="info", title="solution")
        self.answer_input.disabled = True
        if self.graph_view is not None:
            self.graph_view.show_state(self._graph_state(reveal=True))
        super().give_up()


class ChoiceProblemView(ProblemView):
    DEFAULT_CSS = """
    ChoiceProblemView #body { height: 1fr; }
    ChoiceProblemView ChoiceList { height: auto; max-height: 12; margin: 0 1; }
    ChoiceProblemView #how { color: $text-muted; padding: 0 1; }
    """

    def __init__(self, rendered, **kwargs) -> None:
        super().__init__(rendered, **kwargs)
        self.options_by_id = dict(zip(self.problem.option_ids(), self.problem.options))
        order = rendered.option_order or list(self.options_by_id)
        self.order = order
        self.choices = ChoiceList([(option_id, inline_markdown(self.options_by_id[option_id].text)) for option_id in order],
                                  multiple=self.problem.multiple, id="choices")

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="body"):
            yield Prompt(self.problem.prompt, id="prompt")
            yield Static(self._how_to_choose(), id="how")
            yield self.choices
            yield self.hint_ladder
            yield self.feedback

    def _how_to_choose(self) -> str:
        letters = self.choices.letters
        if self.problem.multiple:
            return f"{letters} (or ↑/↓ and space) to mark every right option, Enter to check"
        return f"{letters} (or ↑/↓) to choose, Enter to check"

    def focus_answer(self) -> None:
        if not self.completed:
            self.choices.focus()

    @on(ChoiceList.Checked, "#choices")
    def _check_chosen(self, event: ChoiceList.Checked) -> None:
        event.stop()
        if not self.completed:
            self._judge(event.option_ids)

    @on(ChoiceList.NothingChosen, "#choices")
    def _nothing_chosen(self, event: ChoiceList.NothingChosen) -> None:
        event.stop()
        if not self.completed:
            self.feedback.show_text(f"Nothing is chosen yet. {self._how_to_choose()}.", kind="info", title="choose first")

    def _judge(self, picked: list[str]) -> None:
        judgement = judge_choice(self.rendered, picked)
        finished = judgement.verdict == "correct"
        if finished:
            judgement = judgement.with_explanation(self.problem.explanation)
        self.show_judgement(judgement)
        self.post_message(self.Attempted(self.problem_id, judgement, self.hints_used, self.seconds_since_last(),
                                         self.rendered.seed, finished))
        if finished:
            self.choices.disabled = True
            self.finish(OUTCOME_SOLVED)

    def give_up(self) -> None:
        letters = [chr(ord("A") + index) for index, option_id in enumerate(self.order)
                   if self.options_by_id[option_id].correct]
        text = f"The right answer{'s are' if len(letters) > 1 else ' is'} **{', '.join(letters)}**."
        if self.problem.explanation:
            text += "\n\n" + self.problem.explanation
        self.feedback.show_text(text, kind="info", title="solution")
        self.choices.disabled = True
        super().give_up()


class LabProblemView(ProblemView):
    """A lab opens its own screen when one is registered (tutor/ui/labs); otherwise it is announced."""

    DEFAULT_CSS = """
    LabProblemView #body { height: 1fr; }
    LabProblemView #lab-note { padding: 0 1; color: $text-muted; }
    LabProblemView Button { margin: 1 1; }
    """

    BINDINGS = [Binding("f2,ctrl+n", "hint", "Hint")]

    def __init__(self, rendered, **kwargs) -> None:
        super().__init__(rendered, **kwargs)
        from tutor.ui.lab_registry import find_lab_screen

        self.lab_factory = find_lab_screen(self.problem.lab)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="body"):
            yield Prompt(self.problem.prompt, id="prompt")
            if self.lab_factory is None:
                yield Static(f"The **{self.problem.lab}** lab is coming soon. Press PgDn to go on with the lesson.",
                             id="lab-note")
            else:
                yield Button(f"Open the {self.problem.lab} lab", id="open-lab", variant="primary")
            yield self.hint_ladder
            yield self.feedback

    def focus_answer(self) -> None:
        if self.lab_factory is not None:
            self.query_one("#open-lab", Button).focus()

    @on(Button.Pressed, "#open-lab")
    def _open_lab(self, event: Button.Pressed) -> None:
        event.stop()
        screen = self.lab_factory(self.problem)

        def finished(result: object) -> None:
            if result:
                self.feedback.show_text(self.problem.explanation or "Lab finished.", kind="correct", title="lab")
                # Finishing the lab is the lab problem's solve; record it like any right answer.
                self.post_message(self.Attempted(self.problem_id, Judgement("correct", "lab finished"), self.hints_used,
                                                 self.seconds_since_last(), self.rendered.seed, True))
                self.finish(OUTCOME_SOLVED)

        self.app.push_screen(screen, finished)
