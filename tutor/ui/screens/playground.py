"""The playground: type any program and input values, see the graph, play it, try answers.

For learners going beyond the packs, and for authors trying a problem before writing it. The
workspace is the same trace view the lessons use, with replays allowed at any time.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Static

from tutor.ui.screens.home import TitleBar
from tutor.ui.textual_guards import dismiss_if_on_top
from tutor.ui.widgets.answer_input import AnswerInput
from tutor.ui.widgets.feedback import caret_lines
from tutor.ui.widgets.problems import ProblemView

DEFAULT_PROGRAM = "L = (a*b + c)^2"
DEFAULT_VALUES = "a = 2, b = 3, c = 1"


@dataclass
class PlaygroundProblem:
    """What the worker hands back: a rendered problem ready for the trace view, or an error to show."""

    rendered: object | None = None
    error: str | None = None
    error_text: str = ""
    error_column: int | None = None
    field: str = "program"


def parse_values(text: str) -> dict[str, float]:
    """``a = 2, b = -1/2`` -> {"a": 2.0, "b": -0.5}; each value may be arithmetic. Raises ValueError."""
    from tutor.expr import EvaluationError, ParseError, evaluate, parse_expression

    values: dict[str, float] = {}
    position = 0
    for part in text.replace(";", ",").split(","):
        column = position + 1
        position += len(part) + 1
        if not part.strip():
            continue
        name, equals, value_text = part.partition("=")
        name = name.strip()
        if not equals or not name.isidentifier():
            raise ValueError(f"write each input as name = value, e.g. a = 2 (near “{part.strip()}”)", column)
        try:
            values[name] = float(evaluate(parse_expression(value_text, allowed_names=set()), {}))
        except ParseError as error:
            raise ValueError(f"the value of {name}: {error.message}", column + len(name) + 1 + (error.column or 1)) from None
        except EvaluationError as error:
            raise ValueError(f"the value of {name}: {error}", column) from None
    return values


def build_playground_problem(program_text: str, values_text: str) -> PlaygroundProblem:
    """Parse, check and render. Never raises: every problem comes back as a message with a column."""
    from tutor.expr import ParseError, parse_program
    from tutor.graph import GraphBuildError, build_graph
    from tutor.packs.models import TraceProblem
    from tutor.packs.variants import render_problem

    try:
        program = parse_program(program_text)
    except ParseError as error:
        return PlaygroundProblem(error=error.message, error_text=program_text, error_column=error.column)
    try:
        values = parse_values(values_text)
    except ValueError as error:
        message, column = error.args if len(error.args) == 2 else (str(error), None)
        return PlaygroundProblem(error=message, error_text=values_text, error_column=column, field="values")
    missing = [name for name in program.inputs if name not in values]
    if missing:
        example = ", ".join(f"{name} = 1" for name in missing)
        return PlaygroundProblem(error=f"give a value to every input: add {example}", field="values",
                                 error_text=values_text)
    unused = [name for name in values if name not in program.inputs]
    if unused:
        return PlaygroundProblem(error=f"{', '.join(unused)} is not an input of the program "
                                       f"(its inputs are {', '.join(program.inputs) or 'none'})", field="values",
                                 error_text=values_text)
    try:
        build_graph(program_text, values)
    except GraphBuildError as error:
        return PlaygroundProblem(error=error.message, error_text=program_text, error_column=error.column)
    problem = TraceProblem(kind="trace", id="playground", prompt="Fill in the values, then the gradients.",
                           program=program_text, at={name: values[name] for name in program.inputs},
                           hints=["Forward: compute each node from the nodes feeding it, in order.",
                                  "Backward: start with 1 at the output; each edge multiplies by its local derivative."])
    return PlaygroundProblem(rendered=render_problem(problem, 0))


class PlaygroundScreen(Screen):
    DEFAULT_CSS = """
    PlaygroundScreen #fields { height: auto; padding: 0 1; }
    PlaygroundScreen .field-row { height: 1; }
    PlaygroundScreen .field-row > Label { width: 10; }
    PlaygroundScreen .field-row > Input { width: 1fr; }
    PlaygroundScreen #playground-error { height: auto; padding: 0 1; color: $warning; }
    PlaygroundScreen #playground-error.-hidden { display: none; }
    PlaygroundScreen #workspace { height: 1fr; }
    """

    BINDINGS = [
        Binding("escape", "back", "Home"),
        # The workspace's keys also work while the cursor is in the program or inputs field.
        Binding("f5,ctrl+f", "workspace('replay', 'forward')", "Forward ▶"),
        Binding("f6,ctrl+b", "workspace('replay', 'backward')", "Backward ◀"),
        Binding("f7", "workspace('step', -1)", "Step back", show=False),
        Binding("f8", "workspace('step', 1)", "Step on", show=False),
        Binding("f9", "workspace('pause')", "Pause", show=False),
    ]

    @dataclass
    class Built(Message):
        result: PlaygroundProblem
        submitted: bool = False  # built because Enter was pressed in the program or inputs field

    def __init__(self, program: str = DEFAULT_PROGRAM, values: str = DEFAULT_VALUES) -> None:
        super().__init__()
        self.initial_program = program
        self.initial_values = values

    def compose(self) -> ComposeResult:
        # At most 78 columns, so the way back to the fields shows at 80x24 (it was cut off there).
        yield TitleBar("Playground · program and inputs, Enter traces it · shift+Tab: back to fields",
                       id="title")
        with Container(id="fields"):
            with Horizontal(classes="field-row"):
                yield Label("program")
                yield AnswerInput(self.initial_program, id="program", compact=True)
            with Horizontal(classes="field-row"):
                yield Label("inputs")
                yield AnswerInput(self.initial_values, id="values", compact=True)
        yield Static("", id="playground-error", classes="-hidden")
        yield Container(id="workspace")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#program", Input).focus()
        self._build(self.initial_program, self.initial_values)

    @on(Input.Submitted, "#program, #values")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._build(self.query_one("#program", Input).value, self.query_one("#values", Input).value, submitted=True)

    @work(thread=True, exclusive=True, group="playground")
    def _build(self, program: str, values: str, submitted: bool = False) -> None:
        self.post_message(self.Built(build_playground_problem(program, values), submitted))

    @on(Built)
    async def _built(self, event: Built) -> None:
        result = event.result
        error_widget = self.query_one("#playground-error", Static)
        if result.rendered is None:
            where = "program" if result.field == "program" else "inputs"
            text = Text(f"⚠ {where}: {result.error}\n", style="bold yellow")
            if result.error_text:
                text.append_text(caret_lines(result.error_text, result.error_column))
            error_widget.update(text)
            error_widget.remove_class("-hidden")
            return
        error_widget.add_class("-hidden")
        from tutor.ui.widgets.trace_view import TraceProblemView

        workspace = self.query_one("#workspace", Container)
        await workspace.remove_children()
        view = TraceProblemView(result.rendered, graph_interval=self.app.animation_interval, free_replay=True)
        await workspace.mount(view)
        if event.submitted:
            # Enter in a field means "trace this": the next thing typed is an answer, and it must not
            # land in the inputs field (a newcomer's "6" replaced the inputs). Tab goes back to the fields.
            view.focus_answer()

    @on(ProblemView.Attempted)
    @on(ProblemView.Completed)
    @on(ProblemView.HintTaken)
    def _not_recorded(self, event: Message) -> None:
        event.stop()  # playground answers are practice: nothing is saved

    def action_workspace(self, action: str, *arguments: object) -> None:
        view = next(iter(self.query("TraceProblemView")), None)
        if view is not None:
            getattr(view, f"action_{action}")(*arguments)

    def action_back(self) -> None:
        view = next(iter(self.query("TraceProblemView")), None)
        if view is not None and view.leave_playback():
            return
        dismiss_if_on_top(self)

    def on_screen_suspend(self) -> None:
        for graph in self.query("GraphView"):
            graph.pause()
