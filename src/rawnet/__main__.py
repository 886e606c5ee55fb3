"""``python -m rawnet``: the rawnet command."""

from rawnet.cli import main

main()
