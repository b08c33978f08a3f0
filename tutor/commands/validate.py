"""`backprop-tutor validate [PATH ...]`: check lesson packs thoroughly.

A PATH is a pack folder, a single-file pack, a folder of packs, or a lesson file of a folder pack
(then that lesson is checked inside its pack: the pack's ids and references apply, and only the
errors in that file are shown). ``--watch`` checks again whenever a file of the packs changes;
results of unchanged packs come from a content-keyed cache (``--no-cache`` to check afresh).

Exit status: 0 when every pack is clean, 1 when any error was found, 2 on bad usage
(``--watch`` ends with 0 on Ctrl+C).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

DEFAULT_WATCH_INTERVAL = 0.5  # seconds between two looks at the files' modification times


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="a pack folder, a single-file pack, a folder of packs, or a lesson file of a pack "
                             "(default: every installed pack)")
    parser.add_argument("--seeds", type=int, default=None, metavar="N",
                        help="how many variants of each parameterized problem to check (default 50)")
    parser.add_argument("--strict", action="store_true",
                        help="also require hints, an explanation, and for trace/ask problems two tests "
                             "including a diagnosed wrong answer (the built-in curriculum's rules)")
    parser.add_argument("--quiet", action="store_true", help="print only errors and the summary")
    parser.add_argument("--watch", action="store_true",
                        help="check again whenever a file of the packs changes (Ctrl+C to stop)")
    parser.add_argument("--interval", type=float, default=DEFAULT_WATCH_INTERVAL, metavar="SECONDS",
                        help=f"with --watch: how often to look for changes (default {DEFAULT_WATCH_INTERVAL})")
    parser.add_argument("--no-cache", action="store_true",
                        help="check every pack afresh instead of reusing the result for unchanged files")
    parser.add_argument("--jobs", type=int, default=None, metavar="N",
                        help="processes that share the checking of a big pack (default: 2 on a machine with "
                             "two or more cores, else 1)")


class UsageProblem(ValueError):
    pass


# A target: (path to load as a pack, its origin, the lesson file to limit the check to or None).
Target = tuple[Path, str, "Path | None"]


def locate(raw_paths: list[str]) -> list[Target]:
    """The packs (and lesson files) named on the command line; raises UsageProblem."""
    from tutor.packs.loader import MANIFEST_NAME, ORIGIN_COMMAND_LINE, find_manifest_above, load_pack, pack_paths_in
    from tutor.packs.validate import pack_has_file

    targets: list[Target] = []
    for raw in raw_paths:
        path = Path(raw)
        if not path.exists():
            raise UsageProblem(f"{raw}: no such file or folder")
        if path.is_dir() and not (path / MANIFEST_NAME).is_file():
            inside = pack_paths_in(path)
            if not inside:
                raise UsageProblem(f"{raw}: no pack.yaml here and no packs inside")
            targets.extend((pack_path, ORIGIN_COMMAND_LINE, None) for pack_path in inside)
            continue
        if path.is_file() and path.name != MANIFEST_NAME:
            manifest = find_manifest_above(path)
            if manifest is not None and pack_has_file(load_pack(manifest.parent), path):
                targets.append((manifest.parent, ORIGIN_COMMAND_LINE, path))
                continue
        # pack.yaml stands for its folder (the pack's path, which errors and the cache are keyed by).
        targets.append((path.parent if path.name == MANIFEST_NAME and path.is_file() else path,
                        ORIGIN_COMMAND_LINE, None))
    return targets


def validate_once(args: argparse.Namespace, targets: list[Target] | None, out: Any = None, err: Any = None) -> int:
    """One validation run, printed; the exit status."""
    from tutor.packs.cache import ValidationCache
    from tutor.packs.loader import discover_packs, load_packs
    from tutor.packs.validate import DEFAULT_SEED_COUNT, validate_targets

    out = out or sys.stdout
    err = err or sys.stderr
    seed_count = DEFAULT_SEED_COUNT if args.seeds is None else args.seeds
    if targets is not None:
        catalog = load_packs((path, origin) for path, origin, _ in targets)
        by_path = {pack.path.resolve(): pack for pack in catalog.packs}
        pairs = []
        for path, _, only_file in targets:  # two lesson files of one pack: the pack is loaded once
            pack = by_path.get(Path(path).resolve())
            if pack is not None and (pack, only_file) not in pairs:
                pairs.append((pack, only_file))
    else:
        catalog = discover_packs(getattr(args, "pack", None) or (), data_dir=getattr(args, "data_dir", None))
        pairs = [(pack, None) for pack in catalog.packs]
    cache = None if getattr(args, "no_cache", False) else ValidationCache()
    jobs = getattr(args, "jobs", None)
    if jobs is None:
        jobs = 2 if (os.cpu_count() or 1) >= 2 else 1
    report = validate_targets(pairs, seed_count, args.strict, cache=cache, jobs=max(1, jobs))
    for pack_report in report.packs:
        for error in pack_report.errors:
            print(error, file=out)
        if not args.quiet:
            pack = pack_report.pack
            state = "ok" if pack_report.clean else f"{len(pack_report.errors)} error(s)"
            cached = " (unchanged since the last check: result from the cache)" if pack_report.cached else ""
            if pack_report.only_file is not None:
                from tutor.packs.errors import display_path

                print(f"{display_path(pack_report.only_file)} (lesson file of {pack.id}, "
                      f"{pack_report.problem_count} problems): {state}{cached}", file=err)
            else:
                print(f"{pack.id} ({pack.origin}, {pack.lesson_count} lessons, {pack.problem_count} problems): "
                      f"{state}{cached}", file=err)
    print(report.summary(), file=out)
    return 0 if report.clean and report.packs else 1


# --- watching -------------------------------------------------------------------------------------


def watched_files(targets: list[Target] | None, args: argparse.Namespace) -> list[Path]:
    from tutor.packs.cache import pack_files
    from tutor.packs.loader import builtin_packs_dir, pack_paths_in, user_packs_dir

    if targets is not None:
        roots = [path for path, _, _ in targets]
    else:
        roots = [Path(path) for path in getattr(args, "pack", None) or ()]
        roots += pack_paths_in(user_packs_dir(getattr(args, "data_dir", None)))
        builtin = builtin_packs_dir()
        roots += pack_paths_in(builtin) if builtin is not None else []
    files: list[Path] = []
    for root in roots:
        files.extend(pack_files(root) if root.exists() else [root])
    return files


def snapshot(paths: list[Path]) -> dict[str, tuple[int, int] | None]:
    """Modification time and size of each file (None once it is gone)."""
    state: dict[str, tuple[int, int] | None] = {}
    for path in paths:
        try:
            stat = path.stat()
            state[str(path)] = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            state[str(path)] = None
    return state


def polling_changes(files: Callable[[], list[Path]], interval: float,
                    sleep: Callable[[float], None] = time.sleep) -> Iterator[list[str]]:
    """Yield the files that changed, each time some did, by looking at their mtimes every ``interval`` s.

    A new file in a pack folder counts as a change too (``files`` is asked again each time)."""
    before = snapshot(files())
    while True:
        sleep(interval)
        now = snapshot(files())
        changed = sorted(name for name in set(before) | set(now) if before.get(name) != now.get(name))
        if changed:
            before = now
            yield changed


def watch_loop(run_once: Callable[[], int], changes: Iterator[list[str]], *, out: Any = None,
               max_iterations: int | None = None) -> int:
    """Run ``run_once`` now and after every batch of ``changes``; Ctrl+C (or ``max_iterations`` runs) ends it.

    Returns 0 on Ctrl+C, else the last run's status."""
    out = out or sys.stderr
    runs = 0
    status = 0
    try:
        status = run_once()
        runs += 1
        print("watching for changes (Ctrl+C to stop)", file=out, flush=True)
        while max_iterations is None or runs < max_iterations:
            changed = next(changes, None)
            if changed is None:
                break
            names = ", ".join(os.path.basename(name) for name in changed[:3]) + (" ..." if len(changed) > 3 else "")
            print(f"\n--- changed: {names} — checking again", file=out, flush=True)
            status = run_once()
            runs += 1
    except KeyboardInterrupt:
        print("\nstopped watching", file=out)
        return 0
    return status


def run(args: argparse.Namespace) -> int:
    seed_count = args.seeds
    if seed_count is not None and seed_count < 1:
        print("backprop-tutor validate: error: --seeds must be at least 1", file=sys.stderr)
        return 2
    if args.interval <= 0:
        print("backprop-tutor validate: error: --interval must be more than 0 seconds", file=sys.stderr)
        return 2
    try:
        targets = locate(args.paths) if args.paths else None
    except UsageProblem as problem:
        print(f"backprop-tutor validate: error: {problem}", file=sys.stderr)
        return 2
    if not args.watch:
        return validate_once(args, targets)
    changes = polling_changes(lambda: watched_files(targets, args), args.interval)
    return watch_loop(lambda: validate_once(args, targets), changes)
