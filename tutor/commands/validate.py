"""`backprop-tutor validate [PATH ...]`: check lesson packs thoroughly.

Exit status: 0 when every pack is clean, 1 when any error was found, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="a pack folder, a single-file pack, or a folder of packs (default: every installed pack)")
    parser.add_argument("--seeds", type=int, default=None, metavar="N",
                        help="how many variants of each parameterized problem to check (default 50)")
    parser.add_argument("--strict", action="store_true",
                        help="also require hints, an explanation, and for trace/ask problems two tests "
                             "including a diagnosed wrong answer (the built-in curriculum's rules)")
    parser.add_argument("--quiet", action="store_true", help="print only errors and the summary")


def run(args: argparse.Namespace) -> int:
    from tutor.packs.loader import ORIGIN_COMMAND_LINE, discover_packs, load_packs, pack_paths_in
    from tutor.packs.validate import DEFAULT_SEED_COUNT, validate_catalog

    seed_count = DEFAULT_SEED_COUNT if args.seeds is None else args.seeds
    if seed_count < 1:
        print("backprop-tutor validate: error: --seeds must be at least 1", file=sys.stderr)
        return 2
    if args.paths:
        located = []
        for raw in args.paths:
            path = Path(raw)
            if not path.exists():
                print(f"backprop-tutor validate: error: {raw}: no such file or folder", file=sys.stderr)
                return 2
            if path.is_dir() and not (path / "pack.yaml").is_file():
                inside = pack_paths_in(path)
                if not inside:
                    print(f"backprop-tutor validate: error: {raw}: no pack.yaml here and no packs inside",
                          file=sys.stderr)
                    return 2
                located.extend((pack_path, ORIGIN_COMMAND_LINE) for pack_path in inside)
            else:
                located.append((path, ORIGIN_COMMAND_LINE))
        catalog = load_packs(located)
    else:
        catalog = discover_packs(getattr(args, "pack", None) or (), data_dir=getattr(args, "data_dir", None))
    report = validate_catalog(catalog, seed_count, strict=args.strict)
    for pack_report in report.packs:
        for error in pack_report.errors:
            print(error)
        if not args.quiet:
            pack = pack_report.pack
            state = "ok" if pack_report.clean else f"{len(pack_report.errors)} error(s)"
            print(f"{pack.id} ({pack.origin}, {pack.lesson_count} lessons, {pack.problem_count} problems): {state}",
                  file=sys.stderr)
    print(report.summary())
    return 0 if report.clean and report.packs else 1
