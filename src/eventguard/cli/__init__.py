"""The `eventguard` command line (Typer + rich). Each domain contributes its own sub-commands."""
