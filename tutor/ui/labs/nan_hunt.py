"""NaN-hunt lab screen: the module's broken training loop, five fix switches, and the loss it produces.

The loop runs at the module's size (10-50-50-1, batches of 32, 100 epochs) on the tensor engine.
The lab opens with the loop not yet run (the readout would otherwise name the first NaN beside the
question asking for it): ``r`` runs it, and every switch starts a fresh run in a worker, drawn as
it goes; the readout names the first NaN or inf by epoch, layer and operation. Without the seed fix each run draws new weights and data, so
pressing ``r`` twice shows two different stories. The lab is passed when all five fixes are on
and the run stays finite to its last epoch.
"""

from __future__ import annotations

import math
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button

from tutor.labs.nan_hunt import FIXES
from tutor.ui.lab_registry import register_lab_screen
from tutor.ui.labs.charts import log_y_axis, round_ticks, short_number, thinned, tick_label
from tutor.ui.labs.screen import ChartPage, LabScreen, legend

# Short switch labels (the column is narrow); the full fix is the control's tooltip.
FIX_LABELS = {
    "fix_seed": "seed the RNG",
    "fix_activation": "ReLU not sigmoid",
    "fix_learning_rate": "learning rate 0.01",
    "fix_loss": "MSE not log(out)",
    "fix_zero_grad": "zero the grads",
}
FIX_SHORT_NAMES = {"seed": "seed", "activation": "activation", "learning_rate": "learning rate", "loss": "loss",
                   "zero_grad": "zero_grad"}


class NanHuntLabScreen(LabScreen):
    lab_name = "nan-hunt"
    SETTING_LABELS = {**FIX_LABELS, "epochs": "epochs", "data": "batches", "size": "network"}
    SETTING_STEPS = {"epochs": {"step": 10}}
    TIGHT_CHECKBOXES = True
    TRAIN_CHUNK = 10

    BINDINGS = [Binding("r", "rerun", "Run")]

    def __init__(self, settings: Any = None, **kwargs: Any) -> None:
        super().__init__(settings, **kwargs)
        self.last_snapshot: dict[str, Any] | None = None
        self.ever_passed = False
        self.started = False  # nothing runs until the learner presses r or flips a switch

    def compose_actions(self) -> ComposeResult:
        with Horizontal():
            yield Button("Run", id="nan-rerun", compact=True, variant="primary")

    def compose_charts(self) -> list[Any]:
        return [ChartPage("nan-loss")]

    # ------------------------------------------------------------------ training

    def refresh_lab(self) -> None:
        if not self.started:
            self.show_training(self.snapshot_now(), finished=True)
            return
        self.query_one("#nan-rerun", Button).label = "Run again"
        self.show_training(self.snapshot_now(), finished=False)
        self.train(self.lab.settings.epochs)

    def settings_applied(self, changes: Any) -> None:
        self.started = True

    def train_chunk(self, steps: int) -> int:
        before = len(self.lab.current_run().loss_history)
        run = self.lab.step(steps)
        taken = len(run.loss_history) - before
        return steps if not run.finished else min(taken, steps - 1)

    def action_rerun(self) -> None:
        self.stop_work()
        with self.lab_lock:
            self.lab.reset()  # without the seed fix: new weights and data
        self.generation += 1
        self.started = True
        self.refresh_lab()

    @on(Button.Pressed, "#nan-rerun")
    def _rerun_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_rerun()

    def extra_done(self) -> bool:
        return self.ever_passed

    # ------------------------------------------------------------------ drawing

    def show_training(self, snapshot: dict[str, Any], *, finished: bool) -> None:
        self.last_snapshot = snapshot
        if finished and snapshot["passed"] and not self.ever_passed:
            self.ever_passed = True
            self.notify("All five bugs fixed: the loss stays finite to the last epoch.", title="NaN hunt passed")
        self._draw_loss(snapshot)
        self.query_one("#lab-readout").update(readout(snapshot, running=not finished, started=self.started))
        self.update_status()

    def status_text(self) -> str:
        if self.last_snapshot is None:
            return ""
        if not self.started:
            return "not run yet (r runs it)"
        steps = len(self.last_snapshot["loss_history"])
        state = "running…" if self.running else "run over"
        sizes = "-".join(str(size) for size in self.last_snapshot["sizes"])
        return (f"epoch {steps} · {state}\nseed {self.last_snapshot['seed_used']}\n"
                f"{sizes}, batch {self.last_snapshot['batch_size']}")

    def _draw_loss(self, snapshot: dict[str, Any]) -> None:
        history = snapshot["loss_history"]
        failure = snapshot["failure"]
        finite = [value for value in history if math.isfinite(value)]
        log_axis = bool(finite) and all(value > 0 for value in finite)
        series = [("loss" + (", log scale" if log_axis else ""), "cyan")]
        if failure:
            series.append((f"first NaN/inf at epoch {failure['step']}", "red"))
        plot, plt = self.begin_chart("nan-loss", legend("loss per epoch", *series))
        plt.xlabel("epoch")
        if not history:
            if not self.started:
                message = "press r to run the loop"
            elif failure:
                message = f"no loss: first NaN/inf at epoch {failure['step']}, {failure['where']}"
            else:
                message = "starting…"
            plt.text(message[:60], x=0.5, y=0.5, alignment="center", color="red" if failure else None)
            plt.xlim(0, 1)
            plt.ylim(0, 1)
            plot.refresh()
            return
        steps = list(range(len(history)))
        if log_axis:  # positive losses can reach 1e296: only a log axis shows both ends
            xs, ys = thinned(steps, [math.log10(value) for value in history])
            log_y_axis(plt, min(ys), max(ys))
        else:  # mean log(output) can be negative
            xs, ys = thinned(steps, history)
        plt.plot(xs, ys, marker="braille", color="cyan")
        if failure:
            plt.vertical_line(failure["step"], color="red")
        last_step = max(len(history) - 1, failure["step"] if failure else 0, 1)
        step_ticks = [tick for tick in round_ticks(0, last_step) if tick == int(tick)] or [0, last_step]
        plt.xticks(step_ticks, [tick_label(tick) for tick in step_ticks])
        plot.refresh()


def readout(snapshot: dict[str, Any], *, running: bool, started: bool = True) -> Text:
    """What the run did first (a short terminal keeps only the first lines), then which fixes are on."""
    text = Text()
    history = snapshot["loss_history"]
    failure = snapshot["failure"]
    fresh = snapshot["settings"]["data"] == "fresh"
    if not started:
        text.append("not run yet: r runs the loop; each switch starts a new run", style="dim")
    elif failure:
        text.append(f"✗ epoch {failure['step']} · {failure['where']}", style="bold red")
        text.append(f": {failure['message']}", style="red")
    elif running:
        text.append(f"running: {len(history)} epochs so far")
    elif history:
        trend = "falls at every epoch" if snapshot["finite_and_decreasing"] else "does not fall at every epoch"
        text.append(f"{len(history)} epochs: loss {short_number(history[0])} → {short_number(history[-1])}, {trend}")
        if fresh and not snapshot["finite_and_decreasing"]:
            text.append(" (fresh random targets every epoch: there is nothing to learn)", style="dim")
    if snapshot["passed"]:
        text.append("\n✓ Passed: all five fixes on, and the loss stays finite to the last epoch.", style="bold green")
    text.append("\n")
    found = [fix for fix in snapshot["fixes"] if fix["on"]]
    text.append(f"fixed {len(found)} of {len(FIXES)}: ", style="bold")
    for fix in snapshot["fixes"]:
        text.append(f"{'✓' if fix['on'] else '·'} {FIX_SHORT_NAMES.get(fix['id'], fix['id'])}  ",
                    style="green" if fix["on"] else "dim")
    return text


@register_lab_screen("nan-hunt")
def open_nan_hunt_lab(problem: Any) -> NanHuntLabScreen:
    return NanHuntLabScreen(getattr(problem, "settings", None), problem=problem)


SCREEN = NanHuntLabScreen
