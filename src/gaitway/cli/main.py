"""The one command-line entry point, ``gaitway``.

Each sub-command lives in the module of the part it belongs to and registers itself through a
``register(subparsers)`` function; this file only wires them and turns errors into one line.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError

import gaitway
import gaitway.compiled
from gaitway.errors import GaitwayError
from gaitway.files import os_error_line

# Modules that contribute sub-commands; each defines register(subparsers) -> None and sets
# ``func`` (args -> int exit code) on its parsers.
COMMAND_MODULES: tuple[str, ...] = (
    "gaitway.cli.simulate",
    "gaitway.cli.recording_cmd",
    "gaitway.cli.analyze_cmd",
    "gaitway.cli.clinic_cmd",
    "gaitway.cli.compare_cmd",
    "gaitway.cli.serve_cmd",
    "gaitway.cli.station_cmd",
    "gaitway.cli.figures_cmd",
    "gaitway.cli.faults_cmd",
    "gaitway.cli.response_cmd",
    "gaitway.cli.envelope_cmd",
    "gaitway.cli.plan_cmd",
    "gaitway.cli.trial_cmd",
    "gaitway.cli.reanalyze_cmd",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"gaitway: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gaitway", description="Robot-assisted gait training.")
    parser.add_argument("--version", action="version",
                        version=f"gaitway {gaitway.__version__}; session tick: "
                                f"{gaitway.compiled.tick_code()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except GaitwayError as exc:
        print(f"gaitway: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a full disk, a read-only or missing folder: one line, no traceback
        if isinstance(exc, BrokenPipeError):
            return 0
        print(f"gaitway: error: {os_error_line(exc, f'complete {args.command!r}')}",
              file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:  # every store write is one transaction: it rolled back
        print(f"gaitway: error: {database_error_line(exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into e.g. `head`: nothing left to say
        return 0
    except KeyboardInterrupt:
        print("gaitway: interrupted", file=sys.stderr)
        return 130
    return code


def database_error_line(exc: SQLAlchemyError) -> str:
    """One line for a failed database operation (the transaction was rolled back)."""
    cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    reason = cause[0] if cause else type(exc).__name__
    return (f"the clinic database failed ({reason[:200]}); nothing was changed. Check the disk "
            "space and that the database (GAITWAY_DATABASE_URL) is reachable and writable")


if __name__ == "__main__":
    sys.exit(main())
