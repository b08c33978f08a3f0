"""`backprop-tutor packs`: list the installed lesson packs, and the broken ones with their first error.

``packs install PATH`` validates a pack (a folder with pack.yaml, a single-file pack, or a .zip of
either) and copies it into your packs folder; ``packs remove ID`` takes it out again. A pack is a
folder of YAML files, so a team can also keep one in git and point ``--pack`` at the checkout.
"""

from __future__ import annotations

import argparse
import shutil
import stat
import sys
import tempfile
import zipfile
from pathlib import Path

MAX_ZIP_MEMBERS = 2_000
MAX_ZIP_BYTES = 20_000_000  # uncompressed; a pack's own files are limited to 2 MB each (docs/lesson-packs.md)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=("list", "install", "remove"), default="list",
                        help="list (default), install PATH (a pack folder, a pack file or a .zip), remove ID")
    parser.add_argument("target", nargs="?", metavar="PATH|ID", help="what to install or remove")
    parser.add_argument("--replace", action="store_true", help="install over an installed pack with the same id")
    parser.add_argument("--errors", action="store_true", help="show every error of a broken pack, not only the first")


class InstallError(Exception):
    pass


def run(args: argparse.Namespace) -> int:
    if args.action != "list":
        if not args.target:
            print(f"backprop-tutor packs {args.action}: say what to {args.action} "
                  f"({'a pack folder, file or .zip' if args.action == 'install' else 'a pack id'})", file=sys.stderr)
            return 2
        try:
            if args.action == "install":
                return install(Path(args.target), args)
            return remove(args.target, args)
        except InstallError as error:
            print(f"backprop-tutor packs {args.action}: {error}", file=sys.stderr)
            return 2
    return list_packs(args)


def list_packs(args: argparse.Namespace) -> int:
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


# --- install and remove ------------------------------------------------------------------------------


def _safe_extract(archive: Path, into: Path) -> Path:
    """Extract ``archive`` into ``into`` and return the pack inside; refuse links, absolute or
    escaping names and archives too large, before writing anything."""
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = bundle.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                raise InstallError(f"{archive}: {len(members)} files; a pack archive holds at most {MAX_ZIP_MEMBERS}")
            if sum(member.file_size for member in members) > MAX_ZIP_BYTES:
                raise InstallError(f"{archive}: more than {MAX_ZIP_BYTES // 1_000_000} MB once unpacked")
            for member in members:
                name = Path(member.filename)
                if name.is_absolute() or ".." in name.parts or member.filename.startswith(("/", "\\")):
                    raise InstallError(f"{archive}: '{member.filename}' would be written outside the pack")
                if stat.S_ISLNK(member.external_attr >> 16):
                    raise InstallError(f"{archive}: '{member.filename}' is a link; a pack holds plain files")
            bundle.extractall(into)
    except zipfile.BadZipFile as error:
        raise InstallError(f"{archive}: not a readable zip file ({error})") from None
    manifests = sorted(into.rglob("pack.yaml"), key=lambda path: len(path.parts))
    if manifests:
        return manifests[0].parent
    files = [path for path in into.iterdir() if path.suffix in (".yaml", ".yml")]
    if len(files) == 1:
        return files[0]
    raise InstallError(f"{archive}: no pack.yaml inside, and not exactly one single-file pack")


def install(source: Path, args: argparse.Namespace) -> int:
    from tutor.packs.loader import builtin_packs_dir, load_pack, pack_paths_in, user_packs_dir
    from tutor.packs.validate import validate_targets

    if not source.exists():
        raise InstallError(f"{source}: no such file or folder")
    with tempfile.TemporaryDirectory(prefix="backprop-tutor-install-") as scratch:
        pack_path = source
        if source.is_file() and source.suffix == ".zip":
            pack_path = _safe_extract(source, Path(scratch))
        elif source.is_file() and source.name == "pack.yaml":
            pack_path = source.parent
        pack = load_pack(pack_path)
        report = validate_targets([(pack, None)])
        for pack_report in report.packs:
            for error in pack_report.errors:
                print(error)
        if not report.clean:
            print(f"not installed: {source} has errors ({report.summary()})", file=sys.stderr)
            return 1
        builtin = builtin_packs_dir()
        builtin_ids = {load_pack(path).id for path in pack_paths_in(builtin)} if builtin else set()
        if pack.id in builtin_ids:
            raise InstallError(f"'{pack.id}' is the id of a built-in pack; give yours another id in pack.yaml")
        folder = user_packs_dir(getattr(args, "data_dir", None))
        target = folder / (pack.id if pack_path.is_dir() else f"{pack.id}{pack_path.suffix}")
        existing = [path for path in (folder / pack.id, folder / f"{pack.id}.yaml", folder / f"{pack.id}.yml")
                    if path.exists()]
        if existing and not args.replace:
            raise InstallError(f"a pack '{pack.id}' is already installed at {existing[0]}; add --replace to install "
                               "over it")
        folder.mkdir(parents=True, exist_ok=True)
        for path in existing:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        if pack_path.is_dir():
            shutil.copytree(pack_path, target, symlinks=False)
        else:
            shutil.copyfile(pack_path, target)
    print(f"installed {pack.id} v{pack.version} ({pack.lesson_count} lessons, {pack.problem_count} problems) "
          f"into {target}")
    return 0


def remove(pack_id: str, args: argparse.Namespace) -> int:
    from tutor.packs.loader import load_pack, pack_paths_in, user_packs_dir

    folder = user_packs_dir(getattr(args, "data_dir", None))
    installed = {load_pack(path).id: path for path in pack_paths_in(folder)}
    path = installed.get(pack_id)
    if path is None:
        known = ", ".join(sorted(installed)) or "none"
        raise InstallError(f"no pack '{pack_id}' in your packs folder {folder} (installed there: {known}); "
                           "built-in packs cannot be removed")
    shutil.rmtree(path) if path.is_dir() else path.unlink()
    print(f"removed {pack_id} ({path}); your progress in it is kept")
    return 0
