"""Layer problems and second derivatives: grading latency, the first trace of a network, drawing.

* matrix answers (``layer:NAME``) from tests/grading_corpus/layers.yaml, graded through
  ``tutor.check.matrix.grade_layer`` in a shuffled order (networks traced once first);
* ``derivative2:VAR`` answers from tests/grading_corpus/second_derivatives.yaml (problems prepared
  and the algebra process started first, as the UI does);
* one-off costs: tracing a network, preparing a second derivative (sympy + engine at every point);
* drawing the reference network (``tutor.render.layers.NetworkDrawing``) into a 60-column console.

Prints p50/p95/max in milliseconds; nothing is asserted.

    python benchmarks/bench_layers.py
"""

from __future__ import annotations

import io
import random
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tutor.check import GradeRequest, grade, prepare_problem  # noqa: E402
from tutor.check.matrix import _trace_cached, grade_layer, layer_trace  # noqa: E402
from tutor.check.worker import wait_until_ready, warm_up  # noqa: E402

CORPUS = ROOT / "tests" / "grading_corpus"


def _load(name: str) -> dict:
    with open(CORPUS / name, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _answers(spec: dict) -> list[str]:
    return [*(spec.get("correct") or []), *(spec.get("rounded") or []), *(spec.get("invalid") or []),
            *(answer for answer, _ in (spec.get("wrong") or []))]


def _summary(label: str, times: list[float]) -> None:
    times = sorted(times)
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    print(f"{label:<38} n={len(times):4d}  p50 {statistics.median(times):7.3f} ms  p95 {p95:7.3f} ms  "
          f"max {times[-1]:7.3f} ms")


def matrix_answers() -> None:
    requests = [(network["network"], ask, answer) for network in _load("layers.yaml")["networks"]
                for ask, spec in network["asks"].items() for answer in _answers(spec)]
    layer_trace(requests[0][0])  # imports numpy and the layer engine: a one-off cost, not a trace
    first = []
    for network in {repr(item[0]): item[0] for item in requests}.values():
        _trace_cached.cache_clear()
        started = time.perf_counter()
        layer_trace(network)
        first.append((time.perf_counter() - started) * 1000)
    _summary("trace a network (first time)", first)
    for network, _, _ in requests:
        layer_trace(network)
    random.Random(9).shuffle(requests)
    times = []
    for network, ask, answer in requests:
        started = time.perf_counter()
        grade_layer(network, ask, answer)
        times.append((time.perf_counter() - started) * 1000)
    _summary("grade a matrix answer (layer:)", times)


def second_derivatives() -> None:
    cases = [(problem["program"], problem["at"], ask, answer, spec.get("mistakes") or [])
             for problem in _load("second_derivatives.yaml")["problems"]
             for ask, spec in problem["asks"].items() for answer in _answers(spec)]
    prepare = []
    for program, at, ask, _, _ in {(c[0], repr(c[1]), c[2]): c for c in cases}.values():
        problem = prepare_problem(program, at)
        started = time.perf_counter()
        problem.parse_ask(ask)  # sympy's second derivative, checked against the engine
        grade(GradeRequest(program, at, ask, "0"))  # the random points, each checked both ways
        prepare.append((time.perf_counter() - started) * 1000)
    _summary("prepare derivative2 (first time)", prepare)
    random.Random(9).shuffle(cases)
    times = []
    for program, at, ask, answer, _ in cases:
        started = time.perf_counter()
        grade(GradeRequest(program, at, ask, answer))
        times.append((time.perf_counter() - started) * 1000)
    _summary("grade a derivative2 answer", times)


def drawing() -> None:
    from rich.console import Console

    from tutor.graph.layers import network_from_spec
    from tutor.render.layers import NetworkDrawing, network_stages

    network = _load("layers.yaml")["networks"][0]["network"]
    trace = layer_trace(network)
    stages = network_stages(network_from_spec(network["layers"]), trace, "mse", network["target"])
    visibility = {name: "shown" for name in trace.quantities}
    times = []
    for _ in range(50):
        console = Console(width=60, file=io.StringIO(), color_system="truecolor")
        started = time.perf_counter()
        console.print(NetworkDrawing(stages, trace, network["x"], visibility, focus="dL/dW1", caption="c"))
        times.append((time.perf_counter() - started) * 1000)
    _summary("draw the reference network (60 cols)", times)


if __name__ == "__main__":
    warm_up()
    wait_until_ready()
    matrix_answers()
    second_derivatives()
    drawing()
