"""Lesson packs: the YAML format (models), loading with file:line:col errors, variants, validation.

The UI's entry points::

    from tutor.packs import discover_packs, render_problem, grade_answer, grade_choice_answer, trace_entries

    catalog = discover_packs(args.pack, data_dir=args.data_dir)   # or catalog_from_args(args)
    for pack in catalog.usable: pack.lessons -> [Lesson]; lesson.steps -> [TextStep | problem]
    for pack in catalog.broken: pack.errors[0]                     # "file:line:col: error: ..."
    rendered = render_problem(problem, seed)                        # a variant, placeholders filled in
    trace_entries(rendered) -> ["value:z1", ..., "grad:a"]          # trace table order
    grade_answer(rendered, "42", ask="grad:a") -> tutor.check.GradeResult
"""

from tutor.packs.errors import PackError
from tutor.packs.grading import (
    NotGradable,
    grade_answer,
    grade_choice_answer,
    grade_numeric_answer,
    grade_request,
    trace_entries,
)
from tutor.packs.loader import (
    LoadedPack,
    PackCatalog,
    ProblemRef,
    builtin_packs_dir,
    catalog_from_args,
    discover_packs,
    load_pack,
    user_packs_dir,
)
from tutor.packs.variants import RenderedProblem, VariantError, draw_params, render_problem, variant_count

__all__ = [
    "LoadedPack", "NotGradable", "PackCatalog", "PackError", "ProblemRef", "RenderedProblem", "VariantError",
    "builtin_packs_dir", "catalog_from_args", "discover_packs", "draw_params", "grade_answer",
    "grade_choice_answer", "grade_numeric_answer", "grade_request", "load_pack", "render_problem",
    "trace_entries", "user_packs_dir", "variant_count",
]
