"""What every lab screen shares: layout, settings, background work, questions, progress recording.

Layout (the settings column on the left, everything else on the right)::

    ┌ title ─────────────────────────────────────────────────────────────┐
    │ settings   │ charts (side by side; one at a time below 100 columns)  │
    │ actions    │ readout                                                 │
    │ status     │ questions (one at a time)                               │
    └ footer ────────────────────────────────────────────────────────────┘

Threads: a lab core is not thread-safe, so every use of ``self.lab`` goes through
``self.lab_lock``. Pure labs (:meth:`compute`) get their numbers in a ``compute`` worker from a
copy of the settings; training labs (:meth:`train_chunk`) advance in a ``train`` worker a chunk at
a time, checking for cancellation between chunks. Results come back as messages stamped with a
generation number, and anything from an older generation (the settings changed, the lab was
reset) is dropped. Leaving the screen cancels every worker.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, ProgressBar, Static
from textual.worker import get_current_worker
from textual_plotext import PlotextPlot

from tutor.labs import LabSettingsError, create_lab, lab_class, lab_setting_specs
from tutor.ui.labs.controls import SettingsPanel
from tutor.ui.labs.questions import QuestionPanel, find_lesson_link
from tutor.ui.screens.home import TitleBar
from tutor.ui.textual_guards import dismiss_if_on_top

NARROW_WIDTH = 100  # below this many columns the charts are shown one at a time
SHORT_HEIGHT = 34  # below this many rows the questions panel folds up while not in use
UPDATE_SECONDS = 0.1  # how often a training worker repaints
REVEAL_CONFIRM_SECONDS = 3.0
SETTLE_SECONDS = 0.15  # a pure lab recomputes once its settings have been still this long
YIELD_SECONDS = 0.002  # a training worker's pause between chunks, so the UI thread can run


class ControlsColumn(VerticalScroll, inherit_bindings=False):
    """The settings column. Without VerticalScroll's keys: its PgUp/PgDn (page scrolling) caught the
    screen's "next question" whenever a setting had focus, which is how every lab opens."""


class ChartDeck(Horizontal):
    """The lab's chart pages: side by side when there is room, else one at a time (``v`` flips)."""

    DEFAULT_CSS = """
    ChartDeck { height: 1fr; min-height: 6; }
    ChartDeck > .lab-page { width: 1fr; height: 1fr; }
    ChartDeck.-single > .lab-page { display: none; }
    ChartDeck.-single > .lab-page.-current { display: block; }
    """

    def __init__(self, *children: Any, id: str | None = None) -> None:
        super().__init__(*children, id=id)
        self.page = 0

    @property
    def pages(self) -> list[Any]:
        return [child for child in self.children if child.has_class("lab-page")]

    def set_single(self, single: bool) -> None:
        self.set_class(single, "-single")
        self._mark()

    def flip(self) -> None:
        pages = self.pages
        if pages:
            self.page = (self.page + 1) % len(pages)
            self._mark()

    def _mark(self) -> None:
        for index, page in enumerate(self.pages):
            page.set_class(index == self.page, "-current")


class ChartPage(Vertical):
    """One chart with its caption above it. The caption is a Static rather than plotext's title,
    which plotext silently drops when it is wider than the plot, and it can carry a coloured legend."""

    DEFAULT_CSS = """
    ChartPage { height: 1fr; }
    ChartPage > .chart-caption { height: auto; padding: 0 1; text-style: bold; }
    ChartPage > PlotextPlot { height: 1fr; }
    """

    def __init__(self, plot_id: str, *, id: str | None = None, classes: str = "lab-page") -> None:
        super().__init__(id=id or f"{plot_id}-page", classes=classes)
        self.plot_id = plot_id

    def compose(self) -> ComposeResult:
        yield Static("", classes="chart-caption")
        yield PlotextPlot(id=self.plot_id)

    def set_caption(self, caption: Text | str) -> None:
        self.query_one(".chart-caption", Static).update(caption)


class LabScreen(Screen):
    """Base of the six lab screens. Subclasses set ``lab_name`` and fill in the hooks below."""

    DEFAULT_CSS = """
    LabScreen #lab-body { height: 1fr; }
    LabScreen #lab-controls { width: 30; height: 1fr; padding: 0 1; border-right: vkey $primary 40%; }
    LabScreen.-narrow #lab-controls { width: 26; }
    LabScreen #lab-actions { height: auto; margin-top: 1; }
    LabScreen #lab-actions Button { width: 1fr; min-width: 5; margin-right: 1; }
    LabScreen #lab-actions Horizontal { height: 1; margin-bottom: 1; }
    LabScreen #lab-status { height: auto; margin-top: 1; color: $text-muted; }
    LabScreen #lab-progress { height: 1; display: none; }
    LabScreen #lab-progress.-running { display: block; }
    LabScreen #lab-progress Bar { width: 1fr; }
    LabScreen #lab-main { width: 1fr; height: 1fr; }
    LabScreen #lab-readout { height: auto; max-height: 8; padding: 0 1; }
    LabScreen.-narrow ChartPage > .chart-caption { text-wrap: nowrap; text-overflow: ellipsis; }
    LabScreen.-short #lab-readout { max-height: 3; }
    /* Short terminals: a question's options and feedback only take room while it is being answered. */
    LabScreen.-short QuestionPanel #question-options { display: none; }
    LabScreen.-short QuestionPanel FeedbackPanel { display: none; }
    LabScreen.-short QuestionPanel:focus-within #question-options { display: block; }
    LabScreen.-short QuestionPanel:focus-within FeedbackPanel { display: block; }
    LabScreen.-short QuestionPanel.-settled FeedbackPanel { display: block; }
    """

    lab_name: ClassVar[str] = ""
    # Pack settings the screen (not the lab core) understands, e.g. the XOR run length.
    EXTRA_SETTINGS: ClassVar[tuple[str, ...]] = ()
    SETTING_LABELS: ClassVar[dict[str, str]] = {}
    SETTING_STEPS: ClassVar[dict[str, dict[str, float]]] = {}
    TIGHT_CHECKBOXES: ClassVar[bool] = False
    TRAIN_CHUNK: ClassVar[int] = 10

    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("pagedown", "question(1)", "Next question"),
        Binding("pageup", "question(-1)", "Prev question", show=False),
        Binding("a", "answer", "Answer"),
        Binding("ctrl+g", "reveal", "Show answer", show=False),
        Binding("v", "flip_chart", "Chart"),
    ]

    @dataclass
    class Computed(Message):
        generation: int
        data: Any
        error: str | None = None

    @dataclass
    class Trained(Message):
        generation: int
        snapshot: dict[str, Any]
        done: int
        total: int
        finished: bool

    @dataclass
    class QuestionsReady(Message):
        questions: tuple | None
        error: str | None = None

    def __init__(self, settings: Mapping[str, Any] | None = None, *, problem: Any = None, **lab_options: Any) -> None:
        super().__init__()
        self.problem = problem
        self.notes: list[str] = []
        lab_settings, self.extra_settings = self._split_settings(dict(settings or {}))
        self.lab_options = lab_options
        try:
            self.lab = create_lab(self.lab_name, lab_settings) if not lab_options else lab_class(self.lab_name)(
                lab_settings, **lab_options)
        except LabSettingsError as error:
            self.notes.append(f"{error}; starting from the defaults.")
            self.lab = lab_class(self.lab_name)(None, **lab_options)
        self.lab_lock = threading.Lock()
        self.generation = 0
        self.finished = False
        self.link = None
        self.busy = ""
        self.running = False  # a training run is under way (its worker may lag a chunk behind)
        self._reveal_armed_at: float | None = None
        self._compute_timer: Any = None
        self._computed_once = False
        self._last_data: Any = None  # what show() last drew, to redraw it when a question is settled

    def _split_settings(self, settings: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        known = set(lab_class(self.lab_name).Settings.model_fields)
        extra = {name: value for name, value in settings.items() if name in self.EXTRA_SETTINGS}
        unknown = sorted(set(settings) - known - set(self.EXTRA_SETTINGS))
        if unknown:
            self.notes.append(f"ignored setting{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
                              f"(this lab has {', '.join(sorted(known | set(self.EXTRA_SETTINGS)))})")
        return {name: value for name, value in settings.items() if name in known}, extra

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield TitleBar(f"Lab · {self.lab.title}", id="title")
        with Horizontal(id="lab-body"):
            with ControlsColumn(id="lab-controls"):
                yield SettingsPanel(lab_setting_specs(self.lab_name), self.lab.settings.model_dump(),
                                    labels=self.SETTING_LABELS, steps=self.SETTING_STEPS,
                                    tight_checkboxes=self.TIGHT_CHECKBOXES, id="settings")
                with Vertical(id="lab-actions"):
                    yield from self.compose_actions()
                yield ProgressBar(id="lab-progress", show_eta=False)
                yield Static("", id="lab-status")
            with Vertical(id="lab-main"):
                yield ChartDeck(*self.compose_charts(), id="lab-charts")
                yield Static("", id="lab-readout")
                yield QuestionPanel(id="questions")
        yield Footer()

    def compose_actions(self) -> ComposeResult:
        """Buttons under the settings (none by default)."""
        yield from ()

    def compose_charts(self) -> list[Any]:
        """The chart pages (widgets with class ``lab-page``)."""
        return []

    def on_mount(self) -> None:
        self.link = find_lesson_link(self.app, self.problem)
        self._load_questions()
        self.refresh_lab()
        if self.notes:
            self.notify("\n".join(self.notes), title="Lab settings", severity="warning", timeout=8)
        self._fit_to(self.size.width, self.size.height)
        first = next(iter(self.query_one("#settings", SettingsPanel).query("Select, Input, Checkbox")), None)
        if first is not None:
            first.focus()

    def on_resize(self, event: Any) -> None:
        self._fit_to(event.size.width, event.size.height)

    def _fit_to(self, width: int, height: int) -> None:
        narrow = 0 < width < NARROW_WIDTH
        self.set_class(narrow, "-narrow")
        self.set_class(0 < height < SHORT_HEIGHT, "-short")
        self.query_one(ChartDeck).set_single(narrow)
        self.refresh_bindings()

    def on_unmount(self) -> None:
        self.workers.cancel_node(self)

    # ------------------------------------------------------------------ settings

    @on(SettingsPanel.Changed)
    def _setting_changed(self, event: SettingsPanel.Changed) -> None:
        event.stop()
        previous = getattr(self.lab.settings, event.name)
        try:
            self.apply_settings({event.name: event.value})
        except LabSettingsError as error:
            event.panel.reject(event.name, previous, _without_lab_prefix(str(error)))

    def apply_settings(self, changes: Mapping[str, Any]) -> None:
        """Configure the lab (LabSettingsError if refused, nothing changed then) and redraw."""
        self.stop_work()
        with self.lab_lock:
            self.lab.configure(**changes)
        self.generation += 1
        self.query_one("#settings", SettingsPanel).clear_error()
        self.settings_applied(changes)
        self.refresh_lab()

    def settings_applied(self, changes: Mapping[str, Any]) -> None:
        """Hook: a setting was accepted (before the lab is redrawn)."""

    def stop_work(self) -> None:
        self.workers.cancel_group(self, "compute")
        self.workers.cancel_group(self, "train")
        self.running = False
        self.hide_progress()

    # ------------------------------------------------------------------ computing (pure labs)

    def refresh_lab(self) -> None:
        """Recompute and redraw for the current settings (pure labs: in a worker).

        The first computation starts at once; later ones wait a moment for the settings to stop
        changing, so holding ↑ on a 50-layer stack does not start a computation per key.
        """
        self.set_busy("computing…")
        if self._compute_timer is not None:
            self._compute_timer.stop()
        if self._computed_once:
            self._compute_timer = self.set_timer(SETTLE_SECONDS, self._start_compute)
        else:
            self._start_compute()

    def _start_compute(self) -> None:
        self._compute_timer = None
        self._computed_once = True
        with self.lab_lock:
            settings = self.lab.settings
        self._compute_worker(self.generation, settings)

    def compute(self, settings: Any) -> Any:
        """Hook (worker thread): everything the screen draws, from ``settings`` alone."""
        raise NotImplementedError

    def show(self, data: Any) -> None:
        """Hook (UI thread): draw what :meth:`compute` returned."""
        raise NotImplementedError

    @work(thread=True, exclusive=True, group="compute", exit_on_error=False)
    def _compute_worker(self, generation: int, settings: Any) -> None:
        try:
            data = self.compute(settings)
        except Exception as error:  # noqa: BLE001 - shown in the readout, never a crash
            self.post_message(self.Computed(generation, None, f"{type(error).__name__}: {error}"))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.Computed(generation, data))

    @on(Computed)
    def _computed(self, event: Computed) -> None:
        if event.generation != self.generation:
            return
        self.set_busy("")
        if event.error is not None:
            self.query_one("#lab-readout", Static).update(Text(f"⚠ {event.error}", style="yellow"))
            return
        self._last_data = event.data
        self.show(event.data)
        self.check_finished()

    # ------------------------------------------------------------------ training (XOR, NaN hunt)

    def train(self, steps: int) -> None:
        """Advance the lab ``steps`` steps in the background, repainting as it goes."""
        if steps <= 0:
            return
        self.running = True
        self.show_progress(0, steps)
        self._train_worker(self.generation, steps)

    def train_chunk(self, steps: int) -> int:
        """Hook (worker thread, lock held): advance up to ``steps``; return how many were taken."""
        raise NotImplementedError

    def show_training(self, snapshot: dict[str, Any], *, finished: bool) -> None:
        """Hook (UI thread): draw a training snapshot."""
        raise NotImplementedError

    @work(thread=True, exclusive=True, group="train", exit_on_error=False)
    def _train_worker(self, generation: int, steps: int) -> None:
        worker = get_current_worker()
        done = 0
        last_post = 0.0
        while done < steps and not worker.is_cancelled:
            chunk = min(self.TRAIN_CHUNK, steps - done)
            with self.lab_lock:
                if worker.is_cancelled:
                    return
                try:
                    taken = self.train_chunk(chunk)
                except Exception as error:  # noqa: BLE001 - a broken run is reported, not raised
                    self.post_message(self.Computed(generation, None, f"{type(error).__name__}: {error}"))
                    return
                done += chunk
                finished = done >= steps or taken < chunk
                now = time.monotonic()
                if finished or now - last_post >= UPDATE_SECONDS:
                    last_post = now
                    self.post_message(self.Trained(generation, self.lab.snapshot(), min(done, steps), steps, finished))
            if finished:
                return
            # Pure-Python training holds the GIL; without a pause between chunks the UI thread
            # waits a switch interval for every small step of its event loop and keys lag by seconds.
            time.sleep(YIELD_SECONDS)

    @on(Trained)
    def _trained(self, event: Trained) -> None:
        if event.generation != self.generation:
            return
        if event.finished:
            self.running = False
            self.hide_progress()
        else:
            self.show_progress(event.done, event.total)
        self.show_training(event.snapshot, finished=event.finished)
        if event.finished:
            self.check_finished()

    def begin_chart(self, plot_id: str, caption: Text | str) -> tuple[PlotextPlot, Any]:
        """The chart ``plot_id`` emptied and captioned, and its plotext figure to draw on."""
        plot = self.query_one(f"#{plot_id}", PlotextPlot)
        plot.plt.clear_figure()
        page = plot.parent
        if isinstance(page, ChartPage):
            page.set_caption(caption)
        return plot, plot.plt

    def show_progress(self, done: int, total: int) -> None:
        bar = self.query_one("#lab-progress", ProgressBar)
        bar.add_class("-running")
        bar.update(total=total, progress=done)

    def hide_progress(self) -> None:
        self.query_one("#lab-progress", ProgressBar).remove_class("-running")

    def set_busy(self, text: str) -> None:
        self.busy = text
        self.update_status()

    def update_status(self) -> None:
        parts = [part for part in (self.busy, self.status_text()) if part]
        if self.finished:
            parts.append("✓ Lab complete. Esc returns" + (" to the lesson." if self.problem is not None else "."))
        self.query_one("#lab-status", Static).update("\n".join(parts))

    def status_text(self) -> str:
        """Hook: a line about the lab's state for the status area."""
        return ""

    def snapshot_now(self) -> dict[str, Any]:
        with self.lab_lock:
            return self.lab.snapshot()

    # ------------------------------------------------------------------ questions

    @work(thread=True, group="questions", exit_on_error=False)
    def _load_questions(self) -> None:
        try:
            # A fresh lab: questions() trains its own networks and must not touch the learner's.
            questions = lab_class(self.lab_name)(None, **self.lab_options).questions()
        except Exception as error:  # noqa: BLE001
            self.post_message(self.QuestionsReady(None, f"{type(error).__name__}: {error}"))
            return
        self.post_message(self.QuestionsReady(tuple(questions)))

    @on(QuestionsReady)
    def _questions_ready(self, event: QuestionsReady) -> None:
        panel = self.query_one(QuestionPanel)
        if event.questions is None:
            panel.show_load_error(event.error or "unknown error")
        else:
            panel.show_questions(event.questions)
        self.redraw_for_questions()

    def question_open(self, *question_ids: str) -> bool:
        """True while any of these questions is neither answered right nor revealed.

        A readout or caption that would state such a question's answer keeps it back until then:
        the learner measures it with the controls, the screen does not print it beside the
        question. Before the questions are ready every known one counts as open; a question the
        lab did not ask (or questions that failed to load) does not.
        """
        panel = self.query_one(QuestionPanel)
        if panel.load_error is not None:
            return False
        if not panel.loaded:
            return True
        for question_id in question_ids:
            state = panel.states.get(question_id)
            if state is not None and not (state.solved or state.revealed):
                return True
        return False

    def redraw_for_questions(self) -> None:
        """Redraw the last result: what :meth:`question_open` keeps back may have changed."""
        if self._last_data is not None:
            self.show(self._last_data)

    @on(QuestionPanel.Answered)
    def _answered(self, event: QuestionPanel.Answered) -> None:
        event.stop()
        if self.link is not None and event.judgement.counts:
            attempt = self.link.attempt(event.question, event.judgement, event.seconds)
            session = self.link.session

            def save() -> None:
                error = session.record(attempt)
                if error:
                    self.app.call_from_thread(self.notify, error, severity="error")

            self.run_worker(save, thread=True, group="save")
        if event.judgement.verdict in {"correct", "gave-up"}:
            self.redraw_for_questions()
        self.check_finished()

    @on(QuestionPanel.SetupRequested)
    def _setup_requested(self, event: QuestionPanel.SetupRequested) -> None:
        event.stop()
        fields = lab_class(self.lab_name).Settings.model_fields
        changes = {name: value for name, value in event.question.settings.items() if name in fields}
        try:
            self.apply_settings(changes)
        except LabSettingsError as error:
            self.notify(_without_lab_prefix(str(error)), severity="error")
            return
        self.query_one("#settings", SettingsPanel).set_values(self.lab.settings.model_dump())
        self.notify("The lab now has this question's settings.", timeout=3)

    def extra_done(self) -> bool:
        """Hook: anything beyond the questions the learner must do to finish (NaN hunt: pass)."""
        return True

    def check_finished(self) -> None:
        if not self.finished and self.query_one(QuestionPanel).all_settled and self.extra_done():
            self.finished = True
            self.notify("Every question answered. Esc returns" + (" to the lesson." if self.problem else "."),
                        title="Lab complete", timeout=6)
        self.update_status()

    # ------------------------------------------------------------------ actions

    @classmethod
    def shortcut_keys(cls) -> frozenset[str]:
        """The single-character keys bound on this screen (number fields pass them through)."""
        keys = set()
        for klass in cls.__mro__:
            for binding in klass.__dict__.get("BINDINGS", ()):
                key = binding.key if isinstance(binding, Binding) else binding[0]
                keys.update(part for part in key.split(",") if len(part) == 1)
        return frozenset(keys)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "flip_chart":
            deck = self.query(ChartDeck)
            return bool(deck) and deck.first().has_class("-single") and len(deck.first().pages) > 1
        return True

    def action_close(self) -> None:
        self.workers.cancel_node(self)
        dismiss_if_on_top(self, self.finished)

    def action_question(self, delta: int) -> None:
        self.query_one(QuestionPanel).move(delta)

    def action_answer(self) -> None:
        self.query_one(QuestionPanel).focus_answer()

    def action_reveal(self) -> None:
        # Asked twice, like giving up in a lesson: one stray key must not spoil the question.
        now = time.monotonic()
        if self._reveal_armed_at is None or now - self._reveal_armed_at > REVEAL_CONFIRM_SECONDS:
            self._reveal_armed_at = now
            self.notify("Press ctrl+g again to see this question's answer.", title="Show the answer?", timeout=3)
            return
        self._reveal_armed_at = None
        self.query_one(QuestionPanel).reveal_current()

    def action_flip_chart(self) -> None:
        self.query_one(ChartDeck).flip()


def legend(title: str, *series: tuple[str, str]) -> Text:
    """A caption with a coloured swatch per series: ``legend("size", ("before", "grey50"), ("after", "cyan"))``."""
    text = Text(title + "  ", style="bold")
    for name, colour in series:
        text.append("■ ", style=colour)
        text.append(name + "  ", style="not bold")
    return text


def _without_lab_prefix(message: str) -> str:
    """'xor lab: setting ...' -> 'setting ...' (the screen already says which lab)."""
    head, separator, rest = message.partition(" lab: ")
    return rest if separator and " " not in head else message
