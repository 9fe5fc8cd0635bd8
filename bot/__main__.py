"""`python -m bot` is the `tinbao` command."""

from bot.cli import main

main()
