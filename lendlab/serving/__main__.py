"""``python -m lendlab.serving serve ...``: the service commands without the rest of the CLI.

:func:`lendlab.serving.running` starts the child process this way.
"""

from __future__ import annotations

import argparse
import sys

from lendlab.serving.commands import register


def main(argv: list[str] | None = None) -> int:
    """Parse the serving subcommands and run one."""
    parser = argparse.ArgumentParser(prog="python -m lendlab.serving")
    register(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    args = parser.parse_args(argv)
    return int(args.serving_handler(args))


if __name__ == "__main__":
    sys.exit(main())
