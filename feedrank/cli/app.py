"""The ``feedrank`` command.

    feedrank demo                      rank a built-in simulated network, explained
    feedrank rank --spec S --posts P --now T [...]
    feedrank explain --spec S --posts P --now T --post ID [--compare ID2] [...]
    feedrank eval --qrels Q --run R [-m map,P@10,ndcg@10] [-q] [-c]
    feedrank bench --dataset simulated|movielens [--path P] --rankers A,spec.toml [...]
    feedrank spec show|validate|schema
    feedrank presets
    feedrank coordination detect --interactions I.jsonl [--window-minutes M] [--format json]
    feedrank serve --spec S [--host H] [--port P] [--audit-log L ...] [--deadline-ms N] [--db F]

Errors print one line naming the file, record, field and what was expected,
and exit with status 2. Output piped to a reader that stops early (``feedrank
demo | head -3``) ends the command quietly with status 141, 128 + SIGPIPE, as
Unix tools killed by SIGPIPE report it (``set -o pipefail`` sees it).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from feedrank._version import __version__
from feedrank.cli.audit import add_audit_commands
from feedrank.cli.bench import add_bench_command
from feedrank.cli.coordination import add_coordination_commands
from feedrank.cli.eval import add_eval_command
from feedrank.cli.rank import add_rank_commands
from feedrank.cli.serve import add_serve_command
from feedrank.cli.specs import add_spec_commands
from feedrank.errors import FeedrankError

__all__ = ["BROKEN_PIPE_STATUS", "build_parser", "main"]

BROKEN_PIPE_STATUS = 128 + 13
"""Exit status when the reader of the output went away: 128 + SIGPIPE (13)."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``feedrank`` command."""
    parser = argparse.ArgumentParser(
        prog="feedrank", description="Rank social feeds with an algorithm anyone can audit."
    )
    parser.add_argument("--version", action="version", version=f"feedrank {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    add_rank_commands(sub)
    add_spec_commands(sub)
    add_audit_commands(sub)
    add_eval_command(sub)
    add_bench_command(sub)
    add_coordination_commands(sub)
    add_serve_command(sub)

    return parser


def _discard_stdout() -> None:
    """Point standard output at the null device, so that the interpreter's last
    flush of what is still buffered does not fail on the closed pipe again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # pragma: no cover - no real stdout
        pass


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit status."""
    stream = out if out is not None else sys.stdout
    try:
        args = build_parser().parse_args(argv)
        status = int(args.run(args, stream))
        stream.flush()
        return status
    except BrokenPipeError:
        if stream is sys.stdout:
            _discard_stdout()
        return BROKEN_PIPE_STATUS
    except FeedrankError as err:
        print(f"feedrank: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"feedrank: error: {err.strerror}: {err.filename}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
