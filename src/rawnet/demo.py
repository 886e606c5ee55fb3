"""`python -m rawnet.demo`: the same as `rawnet demo` (the README's main job), kept for old habits.

The demo itself lives in rawnet.cli.demo; this module only hands its arguments to the command.
"""

from __future__ import annotations

import sys

from rawnet.cli.app import main as command


def main() -> None:
    """Run `rawnet demo` with this process's arguments; exits with its code."""
    command(["demo", *sys.argv[1:]])


if __name__ == "__main__":
    main()
