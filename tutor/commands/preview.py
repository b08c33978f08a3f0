"""`backprop-tutor preview PACK LESSON/PROBLEM [--seed N | --seeds A..B] [--format text|json]`.

Shows one problem of a pack as the learner meets it at a seed — the prompt with its placeholders
filled, the parameter values, the graph — and what the author needs to write ``tests``: every
expected answer and, for each ask, the answer each author mistake and each built-in diagnosis
would give (``tutor.check.wrong_answers``). PACK is a pack folder or file, or an installed pack's id.

Exit status: 0 shown; 1 when the problem cannot be built at a seed; 2 on bad usage (unknown pack or
problem, listing the nearest names).
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from pathlib import Path
from typing import Any

MAX_SEEDS = 1000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pack", metavar="PACK", help="a pack folder or file, or an installed pack's id (e.g. backprop)")
    parser.add_argument("problem", metavar="LESSON/PROBLEM",
                        help="lesson id and problem id, e.g. graphs/graphs-trace-xwb (or just the problem id)")
    seeds = parser.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=int, default=None, metavar="N", help="the variant to show (default 0)")
    seeds.add_argument("--seeds", default=None, metavar="A..B", help="show the variants A to B, both included")
    parser.add_argument("--format", choices=["text", "json"], default="text", dest="output_format",
                        help="text (default) or json (one JSON object per seed, one per line)")
    parser.add_argument("--ascii", action="store_true", help="draw the graph with -|+> only")


class UsageProblem(ValueError):
    pass


def parse_seed_range(text: str) -> list[int]:
    match = re.fullmatch(r"\s*(-?\d+)\s*(?:\.\.|-)\s*(-?\d+)\s*", text)
    if not match:
        raise UsageProblem(f"--seeds: '{text}' should look like A..B, e.g. 0..9")
    low, high = int(match.group(1)), int(match.group(2))
    if low > high:
        raise UsageProblem(f"--seeds: {low}..{high} is empty; write the smaller seed first")
    if high - low + 1 > MAX_SEEDS:
        raise UsageProblem(f"--seeds: at most {MAX_SEEDS} seeds at a time")
    return list(range(low, high + 1))


def near_names(word: str, candidates: list[str]) -> str:
    """'; did you mean a, b?' with the candidates closest to ``word``, or '' when none is close."""
    close = difflib.get_close_matches(word, candidates, n=5, cutoff=0.5)
    if not close:
        close = [candidate for candidate in candidates if word and (word in candidate or candidate in word)][:5]
    return f"; did you mean {', '.join(close)}?" if close else ""


def find_pack(pack_text: str, args: argparse.Namespace) -> Any:
    """A LoadedPack from a path or an installed id; raises UsageProblem with near names."""
    from tutor.packs.loader import discover_packs, load_pack

    path = Path(pack_text)
    if path.exists():
        if path.is_file() and path.name != "pack.yaml":
            from tutor.packs.loader import find_manifest_above

            manifest = find_manifest_above(path)
            if manifest is not None:
                path = manifest.parent
        pack = load_pack(path)
        if pack.manifest is None:
            first = pack.errors[0] if pack.errors else f"{pack_text}: not a lesson pack"
            raise UsageProblem(f"cannot read the pack: {first}")
        return pack
    catalog = discover_packs(getattr(args, "pack", None) or (), data_dir=getattr(args, "data_dir", None))
    for pack in catalog.packs:
        if pack.manifest is not None and pack.id == pack_text:
            return pack
    ids = [pack.id for pack in catalog.packs]
    raise UsageProblem(f"no pack '{pack_text}': not a folder or file, nor an installed pack's id"
                       f"{near_names(pack_text, ids)} (installed: {', '.join(ids) or 'none'})")


def find_problem(pack: Any, key: str) -> Any:
    """The ProblemRef for ``lesson-id/problem-id`` (or a bare problem id); raises UsageProblem with near names."""
    lesson_id, slash, problem_id = key.partition("/")
    refs = list(pack.problems())
    if not slash:
        problem_id, lesson_id = lesson_id, ""
    if lesson_id:
        lesson_ids = [lesson.id for lesson in pack.lessons]
        if lesson_id not in lesson_ids:
            near = near_names(lesson_id, lesson_ids)
            listing = "" if near else f" (its lessons: {', '.join(lesson_ids[:20])}{', ...' if len(lesson_ids) > 20 else ''})"
            raise UsageProblem(f"pack '{pack.id}' has no lesson '{lesson_id}'{near}{listing}")
        refs_here = [ref for ref in refs if ref.lesson.id == lesson_id]
    else:
        refs_here = refs
    for ref in refs_here:
        if ref.problem.id == problem_id:
            return ref
    elsewhere = next((ref for ref in refs if ref.problem.id == problem_id), None)
    if elsewhere is not None:
        raise UsageProblem(f"'{problem_id}' is in lesson '{elsewhere.lesson.id}', not '{lesson_id}': "
                           f"write {elsewhere.lesson.id}/{problem_id}")
    names = [ref.problem.id for ref in refs_here]
    place = f"lesson '{lesson_id}'" if lesson_id else f"pack '{pack.id}'"
    listing = "" if near_names(problem_id, names) else f" (its problems: {', '.join(names[:12])}{', ...' if len(names) > 12 else ''})"
    raise UsageProblem(f"{place} has no problem '{problem_id}'{near_names(problem_id, names)}{listing}")


# --- what a variant shows -------------------------------------------------------------------------


def describe_variant(ref: Any, seed: int) -> dict[str, Any]:
    """Everything preview prints for one seed, as plain data (the JSON form)."""
    from tutor.packs.models import AskProblem, ChoiceProblem, LabProblem, LayerProblem, NumericProblem, TraceProblem
    from tutor.packs.variants import format_value, render_problem, variant_count

    rendered = render_problem(ref.problem, seed)
    problem = rendered.problem
    data: dict[str, Any] = {
        "pack": ref.pack.id, "lesson": ref.lesson.id, "problem": problem.id, "kind": problem.kind, "seed": seed,
        "variants": variant_count(ref.problem),
        "params": {name: value for name, value in rendered.params.items()},
        "params_text": ", ".join(f"{name}={format_value(value, in_expression=False)}"
                                 for name, value in rendered.params.items()),
        "title": problem.title, "prompt": problem.prompt, "hints": list(problem.hints),
        "explanation": problem.explanation,
    }
    if isinstance(problem, TraceProblem):
        data["entry_hints"] = {ask: list(hints) for ask, hints in problem.entry_hints.items()}
    if isinstance(problem, (TraceProblem, AskProblem)):
        data.update(_graph_part(rendered))
    elif isinstance(problem, NumericProblem):
        data.update(_numeric_part(rendered))
    elif isinstance(problem, ChoiceProblem):
        by_id = dict(zip(problem.option_ids(), problem.options))
        data["options"] = [{"id": option_id, "text": by_id[option_id].text, "correct": by_id[option_id].correct,
                            "feedback": by_id[option_id].feedback} for option_id in rendered.option_order]
        data["multiple"] = problem.multiple
    elif isinstance(problem, LayerProblem):
        data.update(_layer_part(rendered))
    elif isinstance(problem, LabProblem):
        data["lab"] = problem.lab
        data["settings"] = dict(problem.settings)
    return data


def _graph_part(rendered: Any) -> dict[str, Any]:
    from tutor.check import RequestError, expected_answer, wrong_answers
    from tutor.graph import build_graph
    from tutor.packs.grading import grade_request, trace_entries
    from tutor.packs.models import AskProblem

    problem = rendered.problem
    graph = build_graph(problem.program, rendered.at)
    asks = [problem.ask] if isinstance(problem, AskProblem) else trace_entries(rendered, graph)
    entries = []
    for ask in asks:
        request = grade_request(rendered, "0", ask)
        entry: dict[str, Any] = {"ask": ask}
        if ask.startswith("derivative"):
            point = ", ".join(f"{name}={_number(value)}" for name, value in rendered.at.items())
            entry["note"] = f"a formula; wrong answers are shown by their value at {point}"
        try:
            entry["expected"] = expected_answer(request)
            entry["wrong"] = [answer._asdict() for answer in wrong_answers(request)]
        except RequestError as error:
            entry["error"] = error.message
        entries.append(entry)
    return {"program": problem.program, "at": dict(rendered.at), "graph_shown": getattr(problem, "graph", True),
            "entries": entries, "_graph": graph}


def _numeric_part(rendered: Any) -> dict[str, Any]:
    from tutor.check.numbers import describe
    from tutor.expr import EvaluationError, ParseError, evaluate, parse_expression

    problem = rendered.problem

    def value_of(text: str) -> str | None:
        try:
            return describe(evaluate(parse_expression(text, allowed_names=set()), {}))
        except (ParseError, EvaluationError, ZeroDivisionError, OverflowError, ValueError):
            return None

    wrong = [{"diagnosis": mistake.id or "author", "answer": mistake.answer, "value": value_of(mistake.answer)}
             for mistake in problem.mistakes]
    return {"entries": [{"ask": "answer", "expected": problem.answer, "value": value_of(problem.answer),
                         "wrong": wrong}]}


def _layer_part(rendered: Any) -> dict[str, Any]:
    from tutor.check.matrix import expected_text, layer_wrong_answers
    from tutor.packs.grading import author_mistakes, checker_tolerance, layer_entries, layer_trace_of, mistakes_for

    problem = rendered.problem
    trace = layer_trace_of(rendered)
    tolerance = checker_tolerance(problem.tolerance)
    entries = []
    for ask in layer_entries(rendered, trace):
        quantity = trace.quantities[ask.removeprefix("layer:")]
        wrong = layer_wrong_answers(quantity, tolerance, author_mistakes(mistakes_for(problem, ask)))
        entries.append({"ask": ask, "expected": expected_text(quantity, tolerance),
                        "wrong": [{"diagnosis": d, "answer": a, "coincides": c} for d, a, c in wrong]})
    network = problem.network.model_dump(by_alias=True, exclude_none=True)
    return {"network": network, "entries": entries}


# --- printing -------------------------------------------------------------------------------------


def print_text(data: dict[str, Any], ascii_only: bool) -> None:
    heading = f"{data['pack']} / {data['lesson']} / {data['problem']}  ({data['kind']}, seed {data['seed']})"
    print(heading)
    print("=" * min(len(heading), 100))
    if data["params"]:
        print(f"values: {data['params_text']}   ({data['variants']} variants in all)")
    else:
        print("values: no parameters (every seed shows the same problem)")
    if data.get("title"):
        print(f"title: {data['title']}")
    print("\nprompt:")
    print(_indent(data["prompt"]))
    graph = data.pop("_graph", None)
    if graph is not None:
        print(f"\nprogram: {data['program']}   at " + ", ".join(f"{name}={_number(value)}"
                                                                for name, value in data["at"].items()))
        print("graph" + ("" if data["graph_shown"] else " (hidden from the learner: graph: false)") + ":")
        _print_graph(graph, ascii_only)
    if "network" in data:
        print("\nnetwork:")
        print(_indent(json.dumps(data["network"])))
    if "options" in data:
        print("\noptions" + (" (pick every correct one)" if data["multiple"] else "") + ", in the order shown:")
        for letter, option in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", data["options"]):
            mark = "right" if option["correct"] else "wrong"
            print(f"  {letter}. [{option['id']}] {option['text'].strip()}   <- {mark}")
            if option["feedback"]:
                print(f"       feedback: {option['feedback'].strip()}")
    if "lab" in data:
        print(f"\nlab: {data['lab']}   settings: {json.dumps(data['settings']) if data['settings'] else 'defaults'}")
    if data.get("entries"):
        print("\nexpected answers, and what each mistake would answer instead (author mistakes first; "
              "the first that matches names the answer):")
        for entry in data["entries"]:
            if "error" in entry:
                print(f"  {entry['ask']}: cannot compute: {entry['error']}")
                continue
            value = entry.get("value")
            shown = entry["expected"] + (f"  (= {value})" if value and value != entry["expected"] else "")
            print(f"  {entry['ask']} = {shown}" + (f"   ({entry['note']})" if entry.get("note") else ""))
            first_with: dict[str, str] = {}
            for wrong in entry["wrong"]:
                answer = wrong["answer"]
                if wrong.get("value") and wrong["value"] != answer:
                    answer += f"  (= {wrong['value']})"
                key = wrong.get("value") or wrong["answer"]
                note = ""
                if wrong.get("coincides"):
                    note = "   <- the right answer here: never fires"
                elif key in first_with:
                    note = f"   <- graded as {first_with[key]} (tried first)"
                else:
                    first_with[key] = wrong["diagnosis"]
                print(f"      {wrong['diagnosis']:<24} {answer}{note}")
    for index, hint in enumerate(data["hints"], start=1):
        print(f"\nhint {index}:\n{_indent(hint)}")
    entry_hints = data.get("entry_hints") or {}
    in_table = [entry["ask"] for entry in data.get("entries", [])]
    for ask in sorted(entry_hints, key=lambda ask: in_table.index(ask) if ask in in_table else len(in_table)):
        general = len(data["hints"])
        after = f", then the {_plural(general, 'hint')} above" if general else ""
        print(f"\nhints for {ask} (F2 in that entry shows these first{after}):")
        for index, hint in enumerate(entry_hints[ask], start=1):
            first, *rest = hint.rstrip().splitlines() or [""]
            print("\n".join([f"  {index}. {first}", *(f"     {line}" for line in rest)]))
    if data.get("explanation"):
        print(f"\nexplanation:\n{_indent(data['explanation'])}")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.rstrip().splitlines())


def _number(value: float) -> str:
    from tutor.graph import format_number

    return format_number(value)


def _print_graph(graph: Any, ascii_only: bool) -> None:
    from rich.console import Console

    from tutor.render import FrameOptions
    from tutor.render.play import print_finished

    print_finished(graph, Console(), FrameOptions(ascii_only=ascii_only))


def _json_ready(data: dict[str, Any]) -> dict[str, Any]:
    data = {key: value for key, value in data.items() if not key.startswith("_")}
    at = data.get("at")
    if at:
        data["at"] = {name: (value if value == value and abs(value) != float("inf") else str(value))
                      for name, value in at.items()}
    return data


def run(args: argparse.Namespace) -> int:
    from tutor.packs.variants import VariantError

    try:
        seeds = parse_seed_range(args.seeds) if args.seeds is not None else [args.seed or 0]
        pack = find_pack(args.pack, args)
        ref = find_problem(pack, args.problem)
    except UsageProblem as problem:
        print(f"backprop-tutor preview: error: {problem}", file=sys.stderr)
        return 2
    status = 0
    for index, seed in enumerate(seeds):
        try:
            data = describe_variant(ref, seed)
        except VariantError as error:
            print(f"backprop-tutor preview: seed {seed}: cannot build this variant: {error.message} "
                  "(backprop-tutor validate says where)", file=sys.stderr)
            status = 1
            continue
        except Exception as error:  # noqa: BLE001 - a pack that fails validate must still not give a traceback
            print(f"backprop-tutor preview: seed {seed}: cannot show this problem ({type(error).__name__}: {error}); "
                  "run backprop-tutor validate on the pack", file=sys.stderr)
            status = 1
            continue
        if args.output_format == "json":
            print(json.dumps(_json_ready(data), ensure_ascii=False))
        else:
            if index:
                print()
            print_text(data, args.ascii)
    return status
