"""`backprop-tutor packs`: list the installed lesson packs, and the broken ones with their first error."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--errors", action="store_true", help="show every error of a broken pack, not only the first")


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from tutor.packs.loader import builtin_packs_dir, catalog_from_args, user_packs_dir

    catalog = catalog_from_args(args)
    console = Console(highlight=False)
    if not catalog.packs:
        console.print("No lesson packs found.")
    if catalog.usable:
        table = Table(title="Lesson packs", title_justify="left")
        for column in ("id", "title", "version", "lessons", "problems", "from"):
            table.add_column(column, justify="right" if column in ("lessons", "problems") else "left")
        for pack in catalog.usable:
            table.add_row(pack.id, pack.title, pack.version, str(pack.lesson_count), str(pack.problem_count),
                          pack.origin)
        console.print(table)
    for pack in catalog.broken:
        console.print(f"[bold red]broken[/] {pack.id} ({pack.origin}, {pack.path}):", markup=True)
        for error in pack.errors if args.errors else pack.errors[:1]:
            console.print(f"  {error}", markup=False, soft_wrap=True)
        if not args.errors and len(pack.errors) > 1:
            console.print(f"  ... and {len(pack.errors) - 1} more (backprop-tutor validate {pack.path})", markup=False)
    builtin = builtin_packs_dir()
    console.print(f"built-in packs: {builtin if builtin else '(none found)'}", markup=False, style="dim")
    console.print(f"your packs folder: {user_packs_dir(getattr(args, 'data_dir', None))}", markup=False, style="dim")
    return 0
