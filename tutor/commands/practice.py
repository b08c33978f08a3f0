"""`backprop-tutor practice`: generated hand-trace problems for a gradient skill at a level 1–5.

Each problem is checked before it is printed (tutor.practice.generate) and is the same for the
same skill, level, seed and kind. Exit status: 0, or 2 for an unknown skill, a level out of range
or a generator that found no valid problem within its budget (one line on standard error).
"""

from __future__ import annotations

import argparse
import json
import sys

PROGRAM = "backprop-tutor practice"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--list", action="store_true", help="list the skills and the kinds of problem for each")
    parser.add_argument("--skill", metavar="SKILL", help="the skill to practise (see --list)")
    # Numbers are read as text so a bad one gets the same one-line message as an unknown skill.
    parser.add_argument("--level", metavar="N", default="1", help="1 (one op, small integers) to 5 (about 25 nodes)")
    parser.add_argument("--seed", metavar="K", default="0", help="the problem's seed (default 0)")
    parser.add_argument("--count", metavar="M", default="1", help="how many problems, seeds K, K+1, ... (default 1)")
    parser.add_argument("--kind", choices=("trace", "formula", "layer"), default=None,
                        help="trace (default for graph skills), formula (a derivative as a formula, levels 1–3) "
                             "or layer (the layer skills)")
    parser.add_argument("--format", dest="output_format", choices=("text", "json"), default="text",
                        help="text, or json: one object per line with skill, level, seed, program, at and asks")


def _fail(message: str) -> int:
    print(f"{PROGRAM}: error: {message}", file=sys.stderr)
    return 2


def _whole_number(text: str, lowest: int) -> int | None:
    try:
        number = int(text)
    except ValueError:
        return None
    return number if number >= lowest else None


def run(args: argparse.Namespace) -> int:
    from tutor.practice.generate import BadRequest, GenerationFailed, check_request, generate, kinds_for
    from tutor.practice.skills import SKILLS

    if args.list:
        for item in SKILLS:
            print(f"{item.id:<18} {item.title} ({' or '.join(kinds_for(item.id))}): {item.rule}")
        return 0
    if not args.skill:
        return _fail("give --skill SKILL (or --list to see the skills)")
    level = _whole_number(args.level, 1)
    if level is None or level > 5:
        return _fail(f"--level must be a whole number from 1 to 5, not {args.level!r}")
    seed = _whole_number(args.seed, 0)
    if seed is None:
        return _fail(f"--seed must be a whole number of at least 0, not {args.seed!r}")
    count = _whole_number(args.count, 1)
    if count is None or count > 1000:
        return _fail(f"--count must be a whole number from 1 to 1000, not {args.count!r}")
    try:
        kind = check_request(args.skill, level, args.kind)
        for offset in range(count):
            problem = generate(args.skill, level, seed + offset, kind, symbolic=True)
            if args.output_format == "json":
                print(json.dumps(problem.to_json(), ensure_ascii=False))
            else:
                print(_text(problem))
            sys.stdout.flush()
    except (BadRequest, GenerationFailed) as error:
        return _fail(str(error))
    return 0


def _text(problem: object) -> str:
    from tutor.practice.generate import Generated

    assert isinstance(problem, Generated)
    head = f"{problem.skill}, level {problem.level}, seed {problem.seed} ({problem.kind})"
    if problem.kind == "layer":
        body = f"  network: {json.dumps(problem.network)}"
    else:
        inputs = ", ".join(f"{name}={value:g}" for name, value in problem.at.items())
        body = f"  {problem.program}\n  at {inputs}"
    return f"{head}\n{body}\n  fill in: {', '.join(problem.asks)}\n"
