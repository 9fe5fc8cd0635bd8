"""The `tinbao` commands, a module per group; `bot.cli` holds the parser and `main`."""
