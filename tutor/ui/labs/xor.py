"""XOR lab screen: train the 2-4-1 tanh network live and watch the loss, predictions and weights.

Training runs in a worker ten epochs at a time; ``r`` runs to the run length (1000 epochs unless
the lesson says otherwise) and pauses, ``s`` takes ten epochs, ``x`` starts again from the seed's
weights. ``m`` loads the module's own exercise (seed 42, per-sample updates, summed error,
learning rate 0.5); while those are the settings, the readout puts what that code really prints
next to what the module's text claims it prints. ``g`` opens one training sample's loss in the playground's graph view with the current
weights, where its forward and backward pass can be played step by step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Select, Static

from tutor.labs.xor import (
    MODULE_EPOCHS,
    MODULE_SETTINGS,
    XOR_SAMPLES,
    XorSettings,
    is_module_run,
    module_printout_from,
)
from tutor.ui.lab_registry import register_lab_screen
from tutor.ui.labs.charts import log10s, log_y_axis, round_ticks, short_number, thinned, tick_label
from tutor.ui.labs.screen import ChartPage, LabScreen, legend

DEFAULT_RUN_EPOCHS = 1000
STEP_EPOCHS = 10
SAMPLE_NAMES = tuple(f"({int(x1)},{int(x2)})" for (x1, x2), _ in XOR_SAMPLES)


class XorLabScreen(LabScreen):
    DEFAULT_CSS = """
    XorLabScreen #xor-loss-page { width: 3fr; }
    XorLabScreen #xor-side { width: 2fr; }
    XorLabScreen #xor-predictions-page { height: 1fr; min-height: 6; }
    XorLabScreen #xor-weights { height: auto; padding: 0 1; }
    /* Narrow: the weights get a chart page of their own instead of squeezing the predictions. */
    XorLabScreen.-narrow #xor-weights { display: none; }
    XorLabScreen #xor-weights-page { display: none; padding: 0 1; }
    XorLabScreen.-narrow ChartDeck.-single > #xor-weights-page.-current { display: block; }
    /* No gaps between Step 10 / Run / Reset: with them "Step 10" wrapped to "Step" and "Reset" was cut at 80 columns. */
    XorLabScreen #lab-actions Horizontal Button { margin-right: 0; }
    XorLabScreen #graph-row { height: 1; }
    XorLabScreen #graph-row Select { width: 1fr; }
    XorLabScreen #graph-row Button { width: auto; min-width: 7; margin-left: 1; margin-right: 0; }
    """

    lab_name = "xor"
    EXTRA_SETTINGS = ("epochs",)
    SETTING_LABELS = {"learning_rate": "learning rate", "update_mode": "updates"}
    SETTING_STEPS = {"learning_rate": {"factor": 2.0}}
    TRAIN_CHUNK = STEP_EPOCHS

    BINDINGS = [
        Binding("s", "step", "Step"),
        Binding("r", "run", "Run"),
        Binding("x", "reset", "Reset"),
        Binding("g", "graph", "Graph"),
        Binding("m", "module", "Module's code"),
    ]

    def __init__(self, settings: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(settings, **kwargs)
        epochs = self.extra_settings.get("epochs", DEFAULT_RUN_EPOCHS)
        if isinstance(epochs, bool) or not isinstance(epochs, int) or not 1 <= epochs <= 100_000:
            self.notes.append(f"epochs should be a whole number from 1 to 100000 (got {epochs!r}); using "
                              f"{DEFAULT_RUN_EPOCHS}")
            epochs = DEFAULT_RUN_EPOCHS
        self.run_epochs = epochs
        self.last_snapshot: dict[str, Any] | None = None

    def compose_actions(self) -> ComposeResult:
        with Horizontal():
            yield Button(f"Step {STEP_EPOCHS}", id="xor-step", compact=True)
            yield Button("Run", id="xor-run", compact=True, variant="primary")
            yield Button("Reset", id="xor-reset", compact=True)
        with Horizontal():
            yield Button("Module's code", id="xor-module", compact=True, tooltip="seed 42, one update per sample, summed error, learning rate 0.5")
        yield Label("one sample's graph", classes="setting-label -first")
        with Horizontal(id="graph-row"):
            yield Select([(f"x = {name}", index) for index, name in enumerate(SAMPLE_NAMES)], value=1,
                         allow_blank=False, compact=True, id="graph-sample")
            yield Button("Open", id="xor-graph", compact=True)

    def compose_charts(self) -> list[Any]:
        side = Vertical(ChartPage("xor-predictions", classes=""), Static("", id="xor-weights"), id="xor-side",
                        classes="lab-page")
        return [ChartPage("xor-loss"), side, Static("", id="xor-weights-page", classes="lab-page")]

    # ------------------------------------------------------------------ training

    def refresh_lab(self) -> None:
        self.show_training(self.snapshot_now(), finished=True)

    def settings_applied(self, changes: Mapping[str, Any]) -> None:
        self.query_one("#xor-run", Button).label = "Run"

    def train_chunk(self, steps: int) -> int:
        self.lab.step(steps)
        return steps

    def action_step(self) -> None:
        if self.running:
            return
        self.train(STEP_EPOCHS)

    def action_run(self) -> None:
        if self.running:  # pause: stop the worker, drop its last messages, show where it stopped
            self.stop_work()
            self.generation += 1
            self.show_training(self.snapshot_now(), finished=True)
            return
        with self.lab_lock:
            trained = self.lab.epochs_trained
        target = self.run_epochs if trained < self.run_epochs else trained + self.run_epochs
        self.query_one("#xor-run", Button).label = "Pause"
        self.train(target - trained)

    def action_reset(self) -> None:
        self.stop_work()
        with self.lab_lock:
            self.lab.reset()
        self.generation += 1
        self.query_one("#xor-run", Button).label = "Run"
        self.refresh_lab()

    def action_graph(self) -> None:
        from tutor.ui.screens.playground import PlaygroundScreen

        sample = self.query_one("#graph-sample", Select).value
        index = sample if isinstance(sample, int) else 0
        with self.lab_lock:
            program, values = self.lab.sample_loss_program(index)
        # The playground's program field is one line: statements separated by ';' parse the same.
        one_line = "; ".join(program.splitlines())
        values_text = ", ".join(f"{name} = {value:.6g}" for name, value in values.items())
        self.app.push_screen(PlaygroundScreen(one_line, values_text))

    def action_module(self) -> None:
        """The module's exercise as written: its settings and its 1000 epochs."""
        from tutor.ui.labs.controls import SettingsPanel

        self.run_epochs = MODULE_EPOCHS
        self.apply_settings(MODULE_SETTINGS.model_dump())
        self.query_one("#settings", SettingsPanel).set_values(self.lab.settings.model_dump())
        self.notify("The module's own settings: seed 42, one update per sample, summed error, lr 0.5. "
                    "Press r to run its 1000 epochs.", timeout=4)

    @on(Button.Pressed, "#xor-module")
    def _module_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_module()

    @on(Button.Pressed, "#xor-step")
    def _step_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_step()

    @on(Button.Pressed, "#xor-run")
    def _run_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_run()

    @on(Button.Pressed, "#xor-reset")
    def _reset_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_reset()

    @on(Button.Pressed, "#xor-graph")
    def _graph_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_graph()

    # ------------------------------------------------------------------ drawing

    def show_training(self, snapshot: dict[str, Any], *, finished: bool) -> None:
        self.last_snapshot = snapshot
        if finished:
            self.query_one("#xor-run", Button).label = "Run"
        self._draw_loss(snapshot)
        self._draw_predictions(snapshot)
        table = weights_table(snapshot["weights"])
        self.query_one("#xor-weights", Static).update(table)
        self.query_one("#xor-weights-page", Static).update(Group(Text("weights and biases\n", style="bold"), table))
        self.query_one("#lab-readout", Static).update(readout(snapshot))
        self.update_status()

    def status_text(self) -> str:
        if self.last_snapshot is None:
            return ""
        trained = self.last_snapshot["epochs_trained"]
        if self.running:
            state = "training…"
        elif trained == 0:
            state = "ready: r runs, s steps"
        else:
            state = "paused" if trained % self.run_epochs else "run finished"
        return f"epoch {trained} · {state}\nrun length {self.run_epochs} epochs"

    def _draw_loss(self, snapshot: dict[str, Any]) -> None:
        reduction = snapshot["settings"]["reduction"]
        plot, plt = self.begin_chart("xor-loss", f"loss ({reduction} of squared errors), log scale")
        plt.xlabel("epoch")
        history = snapshot["loss_history"]
        if history:
            epochs = list(range(1, len(history) + 1))
            xs, ys = thinned(epochs, log10s(history))
            plt.plot(xs, ys, marker="braille", color="cyan")
            log_y_axis(plt, min(ys), max(ys))
            epoch_ticks = round_ticks(0, len(history))
            plt.xticks(epoch_ticks, [tick_label(tick) for tick in epoch_ticks])
        else:
            plt.text("press r to train", x=0.5, y=0.5, alignment="center")
            plt.xlim(0, 1)
            plt.ylim(0, 1)
        plot.refresh()

    def _draw_predictions(self, snapshot: dict[str, Any]) -> None:
        # The legend goes in the caption: plotext draws its own over the bars.
        plot, plt = self.begin_chart("xor-predictions", legend("predictions", ("output", "cyan"), ("target", "grey50")))
        plt.multiple_bar(list(SAMPLE_NAMES), [snapshot["predictions"], snapshot["targets"]], color=["cyan", "gray"])
        plt.ylim(-1, 1)
        plt.yticks([-1, -0.5, 0, 0.5, 1], ["-1", "-0.5", "0", "0.5", "1"])
        plot.refresh()


def weights_table(weights: dict[str, Any]) -> Table:
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold dim")
    for column in ("unit", "w·x1", "w·x2", "bias", "out w"):
        table.add_column(column, justify="right")
    for unit, ((w1, w2), bias, out) in enumerate(
            zip(weights["hidden_weights"], weights["hidden_biases"], weights["output_weights"]), start=1):
        table.add_row(f"h{unit}", f"{w1:+.2f}", f"{w2:+.2f}", f"{bias:+.2f}", f"{out:+.2f}")
    table.add_row("out", "", "", f"{weights['output_bias']:+.2f}", "")
    return table


def module_comparison(snapshot: dict[str, Any]) -> Text:
    """What the module's code printed so far (cyan) against what its text claims (dim)."""
    history = snapshot["loss_history"]
    predictions = snapshot["predictions"] if snapshot["epochs_trained"] >= MODULE_EPOCHS else None
    printout = module_printout_from(history[:MODULE_EPOCHS], predictions)
    text = Text("\nwhat the module's code prints", style="bold cyan")
    text.append(" / what its text claims", style="dim")
    text.append(":")
    if not printout.losses:
        text.append("  press r to run its 1000 epochs", style="dim")
    for epoch, printed, claimed in printout.losses:
        text.append(f"  {epoch}: ")
        text.append(f"{printed:.4f}", style="cyan")
        if claimed is not None:
            text.append(f"/{claimed:.4f}", style="dim")
    if printout.predictions:
        text.append("\nfinal predictions:")
        for name, printed, claimed in printout.predictions:
            text.append(f"  {name.replace(' ', '')} ")
            text.append(f"{printed:.3f}", style="cyan")
            text.append(f"/{claimed:.3f}", style="dim")
    return text


def readout(snapshot: dict[str, Any]) -> Text:
    text = Text()
    text.append(f"epoch {snapshot['epochs_trained']}", style="bold")
    text.append(f"  ·  loss {short_number(snapshot['current_loss'], 4)}")
    right = sum((prediction > 0.5) == (target > 0.5)
                for prediction, target in zip(snapshot["predictions"], snapshot["targets"]))
    text.append(f"  ·  {right}/4 on the right side of 0.5  ·  outputs ")
    text.append(" ".join(f"{name}→{prediction:.2f}" for name, prediction in zip(SAMPLE_NAMES, snapshot["predictions"])))
    if is_module_run(XorSettings(**snapshot["settings"])):
        text.append(module_comparison(snapshot))
    return text


@register_lab_screen("xor")
def open_xor_lab(problem: Any) -> XorLabScreen:
    return XorLabScreen(getattr(problem, "settings", None), problem=problem)


SCREEN = XorLabScreen
