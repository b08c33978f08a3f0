"""Help (F1 or ?): every key, and how to type answers."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Markdown

from tutor.ui.textual_guards import dismiss_if_on_top

HELP_TEXT = """\
**backprop-tutor help**: F1 or ? opens it, Esc closes it; j k (or ↑ ↓) scroll, space and b a page, Home/End the ends.

## Typing answers
- Numbers: `7`, `-2.5`, `1/3`, `1e-3`. Fractions stay exact.
- Operators: `+ - * /`, powers with `^` (or `**`), brackets `( )`.
- Multiplication can be left out after a number, a name or a closing bracket: `2z2`, `3(a + b)`,
  `y(1-y)`, `2x(1-x)`, `exp(x)(1+x)`. Function names stay calls: `tanh(x)`.
- You may name what you answer: `dL/da = 42` or `∂L/∂a = 42` (it must be the quantity asked).
- Functions: `tanh`, `exp`, `log`, `sigmoid`, `relu`: `1 - tanh(x)^2`.
- Names of inputs and intermediates mean their values: in `L = (a*b + c)^2`,
  `2*z2*b` is the same answer as `42`. Arithmetic is fine: `14*3`.
- An answer that cannot be read shows a caret `^` under the problem and costs nothing.

## Feedback on a wrong answer
- At once: what went wrong and where, in this graph's names, without the answer.
- A second wrong try on the same answer or table entry adds the rule, in symbols.
- The worked step (the arithmetic that gives the answer away) follows after the third wrong try,
  once you have taken the last hint (F2), or when you give up (ctrl+g twice, which shows the whole
  solution). Unreadable answers never count as tries.

## Everywhere
| Key | What it does |
|---|---|
| F1 or ? | this help (Esc closes it) |
| ctrl+p | command palette: jump to any lesson, playground, review, quiz |
| q or ctrl+q | quit (q types a letter while you are in an answer box) |
| Esc | back |
| ↑ ↓ or j k | move in lists |

## Home
| Key | What it does |
|---|---|
| Enter | open the highlighted lesson or action |
| c | continue where you stopped |
| / | filter lessons by words (Esc clears) |
| r | review the problems that are due |
| t | quiz yourself |
| p | playground |
| x | practice: new generated graphs on the gradient rule you need most, at your level |
| s | your skills: mastery of each rule, your most frequent mistakes |

Markers: ✓ done, ◐ in progress, ○ new.

## Multiple choice
Nothing is chosen when a question opens. Press an option's letter (A, B, …) or move with ↑ ↓;
the choice shows as (•), or [x] when several may be right (space marks and unmarks). Enter checks.

## Practice
Each problem is generated for the skill with the lowest mastery, at the level it allows; right
answers raise the level, two slips in a row lower it. The same mistake three times brings the rule
and the lesson that teaches it (ctrl+o opens it). PgDn: a new problem; F3: your skills.

## Lessons
| Key | What it does |
|---|---|
| → l space | next step (text steps) |
| ← h | previous step (text steps) |
| PgDn / PgUp | next / previous step from anywhere, also skipping a problem |
| Enter | check an answer; after a problem, continue |
| F2 or ctrl+n | next hint |
| ctrl+g (twice) | give up and show the worked solution |

## Quizzes and reviews
| Key | What it does |
|---|---|
| t (home) | choose what to be quizzed on and how many questions |
| r (home) | review the problems that are due (spaced repetition) |
| Enter | after a question: the next one |
| PgDn | skip the question |
| Esc | end the quiz and see the summary; Esc again goes home |

A wrong answer can be tried again. Invalid answers never count.

## Trace workspace
Fill in the forward values top to bottom, then the gradients.
| Key | What it does |
|---|---|
| Enter | check the entry |
| ↑ ↓ | previous / next entry |
| F5 or ctrl+f | replay the forward pass (once you have done it) |
| F6 or ctrl+b | replay the backward pass (once you have done it) |
| F7 / F8 | step the animation back / on |
| F9 | pause or resume the animation |
| Esc | during a replay: back to the exercise |
| Tab | focus the graph; then ← → step, space pauses, + / − change the speed |

In the graph, `= 7` is a node's value and `∂ 14` its gradient, the derivative of the
output with respect to that node. `?` marks what you are asked for.
"""


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90%; max-width: 96; height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    """

    BINDINGS = [
        Binding("escape,f1,question_mark,q", "close", "Close"),
        # Priority, so the scroll box's own (animated, one-line) keys don't take them first: a learner
        # holding j moved a few lines in many presses.
        Binding("j,down", "scroll(3)", "Down", show=False, priority=True),
        Binding("k,up", "scroll(-3)", "Up", show=False, priority=True),
        Binding("space,pagedown", "page(1)", "Page down", priority=True),
        Binding("b,pageup", "page(-1)", "Page up", show=False, priority=True),
        Binding("home,g", "to_end(0)", "Top", show=False, priority=True),
        Binding("end,G", "to_end(1)", "Bottom", show=False, priority=True),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Markdown(HELP_TEXT, id="help-text")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        dismiss_if_on_top(self)

    def action_scroll(self, delta: int) -> None:
        # A key that arrives while the screen is closing finds its body already gone: nothing to scroll.
        for body in self.query("#help-body").results(VerticalScroll):
            body.scroll_relative(y=delta, animate=False)

    def action_page(self, direction: int) -> None:
        for body in self.query("#help-body").results(VerticalScroll):
            body.scroll_relative(y=direction * max(1, body.scrollable_content_region.height - 2), animate=False)

    def action_to_end(self, bottom: int) -> None:
        for body in self.query("#help-body").results(VerticalScroll):
            if bottom:
                body.scroll_end(animate=False)
            else:
                body.scroll_home(animate=False)
