"""`backprop-tutor lab NAME`: open one interactive lab directly, without going through a lesson."""

from __future__ import annotations

import argparse
from collections.abc import Iterator


class _LabNames:
    """LAB_NAMES, imported only when argparse needs them: tutor.labs pulls in numpy and pydantic,
    which every other subcommand would otherwise pay for when the parser is built."""

    def _names(self) -> tuple[str, ...]:
        from tutor.labs import LAB_NAMES

        return LAB_NAMES

    def __contains__(self, name: object) -> bool:
        return name in self._names()

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", choices=_LabNames(), metavar="NAME",
                        help="the lab to open: %(choices)s")


def run(args: argparse.Namespace) -> int:
    from tutor.ui.labs.app import run_lab

    return run_lab(args.name)
