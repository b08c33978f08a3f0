"""`backprop-tutor new PATH`: start a lesson pack from a commented scaffold that validates clean.

The scaffold is a folder with ``pack.yaml`` and one lesson holding a text step and one problem of
every kind (trace, ask, numeric, choice, layer, lab), each with hints, an explanation and tests, so
``backprop-tutor validate --strict PATH`` reports no errors before the author changes anything.
An existing folder that is not empty is never written into.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

LESSON_FILE = "01-first-lesson.yaml"

MANIFEST = """\
# The pack's manifest. Reference: docs/lesson-packs.md (or `backprop-tutor schema` for your editor).
# Check the pack as you write it:  backprop-tutor validate --watch {folder}
# See one problem as a learner:   backprop-tutor preview {folder} first-lesson/first-trace --seed 3
format: 1
id: {pack_id}                   # lowercase letters, digits, - _ . ; unique among installed packs
title: "{title}"
version: "0.1.0"                # your pack's own version; recorded with every attempt
description: "A new lesson pack. Say in a sentence or two what it teaches."
authors: ["Your Name"]
license: "CC-BY-4.0"
lessons:                        # in the order learners meet them
  - {lesson_file}
"""

LESSON = """\
# One lesson. A lesson is a list of steps: Markdown text, and problems of six kinds.
# Problem ids must be unique in the whole pack: progress is recorded against them.
id: first-lesson
title: "A first lesson"
summary: "One problem of every kind, to copy from."
tags: [chain-rule]
steps:
  # A text step: Markdown. `|` keeps the line breaks.
  - text: |
      The chain rule multiplies local derivatives along the path from a value to the output.
      In `L = (a*b + c)^2` the tutor makes one node per operation: `z1 = a*b`, `z2 = z1 + c`
      and `L = z2^2`.

  # trace: the learner fills in every forward value, then every gradient, beside the graph.
  - kind: trace
    id: first-trace
    title: "Both passes by hand"
    prompt: |
      With a = {a}, b = {b} and c = 1, fill in the forward values, then the gradients of `L`.
    program: "L = (a*b + c)^2"
    # Parameters make variants; an input missing from `at` takes the parameter of its name.
    params:
      a: {int: [2, 3]}
      b: {int: [4, 6], not: [5]}   # `not:` leaves values out
      # d: "a + b"                 # a parameter computed from the ones above it
    # require: ["a*b != 12"]       # conditions every variant meets (values are drawn again if not)
    at: {c: 1}
    hints:
      - "Forward: multiply, then add, then square."
      - "Backward: start from dL/dL = 1 and multiply by one local derivative per edge."
    # Hints for one entry, shown first when F2 is pressed there (then the hints above).
    entry_hints:
      "grad:b": ["b reaches L only through z1: one more local derivative after dL/dz1."]
    explanation: |
      dL/dz2 = 2·z2, the sum passes it on unchanged, and the product sends it times b to a
      and times a to b.
    # Your own expected wrong answers, with feedback; `ask` says which entry. `rule` (optional) is
    # the general rule, shown with the next wrong try.
    mistakes:
      - ask: "grad:b"
        answer: "2*z2"
        id: stopped-at-z1
        feedback: "That is dL/dz1. One more edge: multiply by the local derivative dz1/db."
        rule: "Each edge on the way back multiplies by its local derivative: dL/db = dL/dz1 · dz1/db."
    # Sample answers and the grade they must get; `validate` runs them in every variant.
    tests:
      - {ask: "grad:a", answer: "2*z2*b", verdict: correct}
      - {ask: "grad:a", answer: "{b}", verdict: incorrect, diagnosis: missing-upstream}
      - {ask: "grad:b", answer: "2*z2", verdict: incorrect, diagnosis: stopped-at-z1}

  # ask: one question about a graph (value:, grad:, local:, derivative:, derivative2:).
  - kind: ask
    id: first-ask
    prompt: |
      A one-weight model is scored by `L = (x*w + b)^2`. With x = {x}, w = {w} and b = {b},
      what is dL/dw?
    program: "L = (x*w + b)^2"
    params:
      x: {int: [4, 6]}
      w: {int: [-3, 3], not: [0, 1]}
      b: {choice: [0.5, 1.5]}
    ask: "grad:w"
    hints:
      - "dL/dw = dL/dz2 · dz2/dz1 · dz1/dw."
      - "dz1/dw is x, the other factor of the product."
    explanation: "dL/dw = 2·(x·w + b)·x = 2·({x}·{w} + {b})·{x}."
    tests:
      - {answer: "2*({x}*{w} + {b})*{x}", verdict: correct}
      - {answer: "2*({x}*{w} + {b})*{w}", verdict: incorrect, diagnosis: wrong-operand}
      - {answer: "{x}", verdict: incorrect, diagnosis: missing-upstream}

  # numeric: a number, which the learner may type as an expression.
  - kind: numeric
    id: first-numeric
    prompt: |
      A sigmoid's slope is at most 0.25. Through {n} sigmoid layers, by how much can a gradient
      shrink at most? (An expression like `0.5^3` is fine.)
    params:
      n: {int: [4, 12]}
    answer: "0.25^{n}"
    tolerance: {rel: 0.01}      # numeric answers usually want a tolerance
    hints:
      - "Each layer multiplies the gradient by at most 0.25."
    explanation: "The factors multiply: 0.25^{n}."
    mistakes:
      - answer: "0.25*{n}"
        id: times-depth
        feedback: "That multiplies by the depth; the chain rule multiplies the factors together."
    tests:
      - {answer: "0.25^{n}", verdict: correct}
      - {answer: "0.25*{n}", verdict: incorrect, diagnosis: times-depth}

  # choice: one option, or several with `multiple: true`. Options are shuffled unless `shuffle: false`.
  - kind: choice
    id: first-choice
    prompt: "One loss and a million weights: which mode gets every gradient in one pass?"
    options:
      - id: reverse
        text: "Reverse mode (backpropagation)"
        correct: true
      - id: forward
        text: "Forward mode"
        feedback: "Forward mode needs one pass per input: a million passes here."
    hints:
      - "Count the passes each mode needs for n inputs and one output."
    explanation: "Reverse mode costs about one backward pass per output, and there is one loss."
    tests:
      - {answer: reverse, verdict: correct}
      - {answer: forward, verdict: incorrect}

  # layer: backprop through a small network with whole matrices.
  - kind: layer
    id: first-layer
    prompt: "Fill in the gradients of this one-layer network with squared error."
    network:
      layers:
        - linear: {W: [[1, 2], [-1, 1]], b: [0, 1]}
      x: [2, 1]
      target: [1, 0]
      loss: mse
    forward: []                 # only the gradients; leave out to ask every forward value too
    hints:
      - "dL/dz = output − target; dL/dW = dL/dz · xᵀ has the shape of W."
    explanation: "z = [4, 0], so dL/dz = [3, 0], dL/dW = [[6, 3], [0, 0]] and dL/db = [3, 0]."
    tests:
      - {ask: "layer:dL/dW1", answer: "[[6, 3], [0, 0]]", verdict: correct}
      - {ask: "layer:dL/dW1", answer: "[[6, 0], [3, 0]]", verdict: incorrect, diagnosis: transposed}

  # lab: opens one of the interactive labs (xor, vanishing, gradcheck, clipping, nan-hunt, checkpointing, gradient-flow).
  - kind: lab
    id: first-lab
    lab: xor
    prompt: "Train the 2-4-1 tanh network on XOR and watch the loss fall."
    settings: {learning_rate: 0.5}
    hints:
      - "If the loss stalls, try another seed."
    explanation: "The hidden layer lets the network carve the plane into the regions XOR needs."
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", help="the folder to create (it must not exist, or be empty)")
    parser.add_argument("--id", dest="pack_id", default=None, metavar="ID",
                        help="the pack's id (default: made from the folder's name)")
    parser.add_argument("--title", default=None, help="the pack's title (default: made from the folder's name)")


def pack_id_from(name: str) -> str:
    slug = re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-._")
    return slug or "my-pack"


def write_scaffold(folder: Path, pack_id: str | None = None, title: str | None = None) -> list[Path]:
    """Write the scaffold into ``folder`` (created if missing); raises FileExistsError if it holds anything."""
    if folder.exists():
        if not folder.is_dir():
            raise FileExistsError(f"{folder} exists and is not a folder")
        if any(folder.iterdir()):
            raise FileExistsError(f"{folder} is not empty; choose a new folder (nothing was written)")
    name = folder.resolve().name
    pack_id = pack_id or pack_id_from(name)
    title = title or name.replace("-", " ").replace("_", " ").strip().capitalize() or "My pack"
    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / "pack.yaml"
    lesson = folder / LESSON_FILE
    manifest.write_text(MANIFEST.format(pack_id=pack_id, title=title.replace('"', "'"), lesson_file=LESSON_FILE,
                                        folder=folder), encoding="utf-8")
    lesson.write_text(LESSON, encoding="utf-8")
    return [manifest, lesson]


def run(args: argparse.Namespace) -> int:
    from tutor.packs.models import SLUG_PATTERN

    if args.pack_id is not None and not re.match(SLUG_PATTERN, args.pack_id):
        print(f"backprop-tutor new: error: '{args.pack_id}' is not a valid id: use lowercase letters, digits, "
              "'-', '_' or '.', starting with a letter or digit", file=sys.stderr)
        return 2
    folder = Path(args.path)
    try:
        written = write_scaffold(folder, args.pack_id, args.title)
    except FileExistsError as error:
        print(f"backprop-tutor new: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"backprop-tutor new: error: cannot write {folder}: {error.strerror or error}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    print(f"next: backprop-tutor validate --strict {folder}")
    return 0
