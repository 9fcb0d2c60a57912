"""Reference pages generated from the code (docs/api.md, docs/cli.md), so they cannot drift:
`make docs` writes them and a test fails when a committed page differs from what the code says."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import typer
from fastapi import FastAPI

API_HEADER = """# HTTP API reference

Generated from the OpenAPI document by `make docs` (do not edit by hand; a test compares).
Interactive documentation: `/docs`; machine-readable: `/openapi.json`. Every error is JSON
`{"error": {"code", "message", "details"}}` with a 4xx status (messages follow `Accept-Language` or `?lang=`).
User routes take `Authorization: Bearer <token>` (an API token or a login session); intake routes take
an integration token (`routing_key` for the PagerDuty shape).
"""

CLI_HEADER = """# Command-line reference

Generated from the `eventguard` command by `make docs` (do not edit by hand; a test compares).
Every command reads the configuration described in README.md (`EVENTGUARD_*`, `eventguard.toml`).
"""


def _first_paragraph(text: str | None) -> str:
    return " ".join((text or "").strip().split("\n\n")[0].split())


ACCESS_HEADER = """## Access matrix

Who gets through: every route, API and console, and the answer each caller gets (`2xx`, `3xx`,
`login` — a redirect to the sign-in page — or the 4xx status). The table is
`tests/access/matrix.yaml`, where the callers and the way each route is called are explained;
`tests/access/test_matrix.py` calls every route as every caller and fails on any other answer, and
on a route without a row. Writes are sent with an empty body: `422` means the caller got through
the access checks and the request was then refused for its content.
"""


def access_markdown(callers: Sequence[str], rows: Mapping[str, Sequence[str]]) -> list[str]:
    """The access matrix as a Markdown table, one row per route."""
    head = " | ".join(callers)
    lines = [ACCESS_HEADER, f"| Route | {head} |", "|---|" + "---|" * len(callers)]
    for key, row in rows.items():
        method, _, path = key.partition(" ")
        lines.append(f"| `{method}` `{path}` | " + " | ".join(row) + " |")
    return [*lines, ""]


def api_markdown(
    app: FastAPI, access: tuple[Sequence[str], Mapping[str, Sequence[str]]] | None = None
) -> str:
    """One section per tag, one line per operation: method, path, what it does; then the access
    matrix (``access``: the callers and, per route, each one's answer class) when given."""
    sections: dict[str, list[str]] = {}
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            tag = (operation.get("tags") or ["other"])[0]
            summary = _first_paragraph(operation.get("description")) or operation.get("summary", "")
            sections.setdefault(tag, []).append(f"| `{method.upper()}` | `{path}` | {summary} |")
    lines = [API_HEADER]
    for tag, rows in sections.items():
        lines += [f"## {tag}", "", "| Method | Path | What it does |", "|---|---|---|", *rows, ""]
    if access is not None:
        lines += access_markdown(*access)
    return "\n".join(lines)


def _walk(group: Any, prefix: str) -> list[tuple[str, Any]]:
    # Duck-typed: Typer builds click-style groups (``.commands``) and parameters (``.param_type_name``).
    found: list[tuple[str, Any]] = []
    for name in sorted(group.commands):
        command = group.commands[name]
        full = f"{prefix} {name}"
        if getattr(command, "commands", None) is not None:
            found += _walk(command, full)
        else:
            found.append((full, command))
    return found


def _usage(command: Any) -> str:
    parts: list[str] = []
    for param in command.params:
        if param.param_type_name == "argument":
            parts.append(str(param.name).upper())
        elif param.param_type_name == "option" and param.required:
            parts.append(f"{param.opts[0]} ...")
    return " ".join(parts)


def cli_markdown(app: typer.Typer) -> str:
    """One line per command with its arguments, required options and help text."""
    root: Any = typer.main.get_command(app)
    lines = [CLI_HEADER, "| Command | What it does |", "|---|---|"]
    for name, command in _walk(root, "eventguard"):
        usage = f"{name} {_usage(command)}".strip()
        lines.append(f"| `{usage}` | {_first_paragraph(command.help)} |")
    return "\n".join(lines) + "\n"
