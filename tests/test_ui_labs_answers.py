"""No lab prints a question's answer beside it (issue 15 §2 and §4), and its choices are chosen by letter.

Each lab is opened as a learner opens it and walked through its questions without touching a
control: at every question the text on screen (readout, chart captions, status, the question, the
rendered screen, and the feedback the previous question just gave) must not state the answer. A
learner may measure it with the lab's controls; it must not be there before they act. Numbers are
compared as numbers (1 % or the question's tolerance, whichever is larger, so rounded readouts
count); choices by their option text and by the phrases that would name them.

Choice questions are answered the way a learner does: nothing is chosen when one opens, Enter with
nothing chosen is not an answer, and each option's letter chooses that option.
"""

from __future__ import annotations

import math
import re

import pytest
from test_ui_labs_support import async_test, lab_app, settle, text_of

from tutor.labs import LAB_NAMES

NUMBER = re.compile(r"(?<![\w.^])[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?", re.IGNORECASE)

# Phrases that would state a question's answer, beyond the number or the right option's text.
TELLTALES: dict[str, tuple[str, ...]] = {
    "xor.stuck-seeds": (r"seeds? (still )?stuck", r"\b7 of (the )?10\b"),
    "xor.equivalent-rate": (r"learning rate 2\b", r"four times (larger|the)"),
    "vanishing.depth-below-1e-6": (r"falls? below 1e-0?6 at depth",),
    "vanishing.sigmoid-bound": (r"0\.25\s*\^\s*10\b",),
    "vanishing.best-remedy": (r"(largest|best)[^.\n]*residual", r"residual[^.\n]*(largest|best)"),
    "gradcheck.best-epsilon": (r"smallest (relative )?error at", r"best epsilon"),
    "clipping.keeps-direction": (r"by value: ‖g‖",),
    "clipping.value-clipped-norm": (r"by value: ‖g‖",),
    "clipping.value-clipped-cosine": (r"by value: ‖g‖",),
    "nan-hunt.first-nan-op": (r"loss, log", r"log gives nan", r"log is only defined"),
    "nan-hunt.learning-rate-failure-layer": (r"layer 2\b",),
    "nan-hunt.domain-error": (r"log is only defined", r"output can be negative"),
    "nan-hunt.unrepeatable": (r"different weights and data",),
    "checkpointing.best-k": (r"fewest activations at k", r"√n = 10"),
    "checkpointing.peak": (r"n/k[^.\n]*k - 1",),
    "gradient-flow.similar-across-layers": (r"\(×\d", r"none, healthy", r"ratio of 0\.2"),
    "gradient-flow.sigmoid-ratio": (r"\(×\d",),
    "gradient-flow.pattern-vanishing": (r"pattern: vanishing",),
    "gradient-flow.pattern-exploding": (r"patterns?: [^\n]*exploding",),
    "gradient-flow.pattern-dead": (r"patterns?: [^\n]*dead neurons",),
    "gradient-flow.pattern-nan": (r"patterns?: [^\n]*NaN gradients",),
}


def screen_text_around(screen, widget) -> str:
    """The rendered screen with ``widget``'s region blanked (the question's own options are not a leak)."""
    region = widget.region
    lines = []
    for y, strip in enumerate(screen._compositor.render_strips()):
        line = strip.text
        if region.y <= y < region.bottom:
            line = line[:region.x] + " " * max(0, min(len(line), region.right) - region.x) + line[region.right:]
        lines.append(line)
    return "\n".join(lines)


def shown_texts(screen) -> dict[str, str]:
    """Everything the lab shows beside the current question, by where it is shown."""
    texts = {"readout": text_of(screen.query_one("#lab-readout")), "status": text_of(screen.query_one("#lab-status")),
             "screen": screen_text_around(screen, screen.query_one("QuestionPanel"))}
    for index, caption in enumerate(screen.query(".chart-caption")):
        texts[f"caption {index}"] = text_of(caption)
    return texts


def numeric_value(question) -> float:
    from tutor.expr import evaluate, parse_expression

    return float(evaluate(parse_expression(question.expected, allowed_names=set()), {}))


def leaks(question, texts: dict[str, str], question_text: str) -> list[str]:
    """Where ``question``'s answer is stated in ``texts`` (its own text is only searched for numbers)."""
    found = []
    if question.kind == "numeric":
        value = numeric_value(question)
        small_count = value == int(value) and abs(value) < 10  # a digit such as 2 or 7 is everywhere
        tolerance = max(question.tolerance or 0.0, abs(value) * 0.01)
        for where, text in {**texts, "question": question_text}.items():
            if where == "screen" or small_count:  # axis ticks are numbers too: the widgets' text is checked
                continue
            for token in NUMBER.findall(text):
                number = float(token)
                if math.isfinite(number) and abs(number - value) <= tolerance:
                    found.append(f"{where}: {token!r} in {text!r}")
    else:
        right = next(option for option in question.options if option.id == question.expected)
        for where, text in texts.items():
            if right.text.lower() in text.lower():
                found.append(f"{where}: the right option's text {right.text!r}")
    for pattern in TELLTALES.get(question.id, ()):
        for where, text in texts.items():
            if re.search(pattern, text, re.IGNORECASE):
                found.append(f"{where}: {pattern!r} in {text!r}")
    return found


async def answer_right_by_keys(pilot, panel, question) -> None:
    """A choice by its letter (after checking nothing is chosen and a bare Enter is refused); a number typed."""
    state = panel.states[question.id]
    if question.kind == "choice":
        options = panel.query_one("#question-options")
        options.focus()
        await pilot.pause()
        assert options.highlighted is None, f"{question.id}: an option is chosen before the learner chose one"
        assert "(•)" not in text_of_options(options)
        await pilot.press("enter")
        await settle(pilot)
        assert state.tries == 0 and state.wrong == 0 and not state.solved, f"{question.id}: Enter alone answered"
        ids = [option.id for option in question.options]
        for index in range(len(ids)):
            await pilot.press(chr(ord("a") + index))
            await pilot.pause()
            assert options.highlighted == index, f"{question.id}: letter {chr(ord('A') + index)} did not choose"
            assert options.has_focus, f"{question.id}: letter {chr(ord('A') + index)} went to the screen"
        await pilot.press(chr(ord("a") + ids.index(question.expected)), "enter")
    else:
        field = panel.query_one("#question-input")
        field.focus()
        await pilot.pause()
        field.value = ""
        await pilot.press("enter")  # an empty answer: the message says how to answer, not what
        await settle(pilot)
        assert state.tries == 0 and not state.solved
        empty_feedback = {"the empty answer's feedback": text_of(panel.query_one("#question-feedback"))}
        assert not leaks(question, empty_feedback, ""), leaks(question, empty_feedback, "")
        field.value = question.expected
        await pilot.press("enter")
    await settle(pilot)
    assert state.solved, (question.id, state.judgement)


def text_of_options(options) -> str:
    return " ".join(str(options.get_option_at_index(index).prompt) for index in range(options.option_count))


@pytest.mark.parametrize("name", LAB_NAMES)
@async_test
async def test_no_lab_question_has_its_answer_on_screen_before_the_learner_acts(name):
    app = lab_app(name)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        panel = screen.query_one("QuestionPanel")
        assert panel.loaded and panel.questions
        previous_feedback = ""
        problems = []
        for question in panel.questions:
            assert panel.current is question
            texts = shown_texts(screen)
            if previous_feedback:
                texts["the previous question's feedback"] = previous_feedback
            question_text = text_of(panel.query_one("#question-text"))
            problems += [f"{question.id}: {leak}" for leak in leaks(question, texts, question_text)]
            await answer_right_by_keys(pilot, panel, question)
            previous_feedback = text_of(panel.query_one("#question-feedback"))
            await pilot.press("pagedown")
            await pilot.pause()
        assert not problems, "\n".join(problems)


@async_test
async def test_a_lab_answer_typed_in_one_burst_keeps_its_editing_keys_in_order():
    # tmux `send-keys 5 BSpace 2 Enter`: Textual runs BSpace and Enter as bindings after the characters
    # typed around them (its issue #6605), so the 2 was deleted and an empty or wrong answer went in.
    from textual import events

    app = lab_app("vanishing")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        panel = app.screen.query_one("QuestionPanel")
        question = next(question for question in panel.questions if question.kind != "choice")
        while panel.current is not question:
            await pilot.press("pagedown")
            await pilot.pause()
        field = panel.query_one("#question-input")
        field.focus()
        await pilot.pause()
        field.value = ""
        keys = ["9", "backspace", *question.expected, "enter"]
        for key in keys:  # all queued before the app handles any
            name = {"^": "circumflex_accent", ".": "full_stop", "-": "minus", "/": "slash", "*": "asterisk",
                    "(": "left_parenthesis", ")": "right_parenthesis", "+": "plus", " ": "space"}.get(key, key)
            character = {"backspace": "\x7f", "enter": "\r"}.get(key, key if len(key) == 1 else None)
            event = events.Key(name, character)
            event.set_sender(app)
            app._driver.send_message(event)
        await settle(pilot)
        state = panel.states[question.id]
        assert state.solved, (question.expected, field.value, state.judgement)
