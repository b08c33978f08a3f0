"""`backprop-tutor schema`: print the JSON Schema of lesson-pack files (for editors and CI)."""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kind", choices=("any", "pack", "lesson"), default="any",
                        help="schema for pack.yaml, for a lesson file, or either (default)")


def run(args: argparse.Namespace) -> int:
    from tutor.packs.models import json_schema

    print(json.dumps(json_schema(args.kind), indent=2, ensure_ascii=False))
    return 0
