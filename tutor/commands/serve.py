"""`backprop-tutor serve [--host 127.0.0.1] [--port N]`: the tutor in a web browser, through textual-serve.

Each browser tab that opens the page starts its own tutor process (``python -m tutor --data-dir DIR``), whose
screen textual-serve streams to the tab; every tab keeps its progress in the same data folder, the one given
with ``--data-dir`` (or the usual default), resolved here and passed to each child. The server binds to
loopback unless ``--host`` says otherwise, and says so; a host that is not loopback gets a warning, since
anyone who can reach it can answer (and write progress) without a password.
"""

from __future__ import annotations

import argparse
import ipaddress
import shlex
import sys

COMMAND = "serve"
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8000, metavar="N", help="port to listen on (default 8000)")
    parser.add_argument("--public-url", metavar="URL",
                        help="the address browsers use to reach this server, when it is not http://HOST:PORT "
                             "(with --host 0.0.0.0, say)")


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def child_command(args: argparse.Namespace, data_dir: str) -> str:
    """The shell command textual-serve runs for each tab (it starts children with a shell)."""
    parts = [sys.executable, "-m", "tutor", "--data-dir", data_dir]
    for pack in getattr(args, "pack", None) or []:
        from pathlib import Path

        parts += ["--pack", str(Path(pack).resolve())]
    return shlex.join(parts)


def _fail(message: str) -> int:
    print(f"backprop-tutor {COMMAND}: error: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.port <= 65535:
        return _fail(f"--port must be 1 to 65535, got {args.port}")
    try:
        from textual_serve.server import Server
    except ImportError:
        return _fail("textual-serve is not installed; install it with: python3 -m pip install textual-serve")
    from tutor.progress.paths import resolve_data_dir

    data_dir = resolve_data_dir(getattr(args, "data_dir", None)).resolve()
    host = args.host
    bracketed = f"[{host}]" if ":" in host and not host.startswith("[") else host
    public_url = args.public_url or f"http://{bracketed}:{args.port}"
    if is_loopback(host):
        print(f"backprop-tutor serve: listening on {public_url} — loopback only: browsers on this machine can "
              "open it, other machines cannot.")
    else:
        print(f"backprop-tutor serve: warning: --host {host} is not loopback: anyone who can reach this machine "
              f"on port {args.port} can use the tutor and write to the progress in {data_dir}, with no password.",
              file=sys.stderr)
        print(f"backprop-tutor serve: listening on {host}:{args.port}; browsers load {public_url}")
    print(f"backprop-tutor serve: each browser tab runs its own tutor; progress is kept in {data_dir}. "
          "Ctrl+C stops the server.", flush=True)
    server = Server(child_command(args, str(data_dir)), host=host.strip("[]"), port=args.port,
                    title="backprop-tutor", public_url=public_url)
    try:
        server.serve()
    except OSError as error:
        return _fail(f"cannot listen on {host}:{args.port}: {error.strerror or error}")
    return 0
