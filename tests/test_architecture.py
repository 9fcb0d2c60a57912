"""The layers hold: `lint-imports` keeps every contract of pyproject.toml, and breaks on a violation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def _lint_imports(*args: str, cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_contracts_are_kept() -> None:
    result = _lint_imports(cwd=ROOT, pythonpath=ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_violation_breaks_them(tmp_path: Path) -> None:
    package = tmp_path / "tiny"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "domain.py").write_text("from tiny import core\n")
    (package / "core.py").write_text("def helper() -> None:\n    from tiny import domain  # back-arrow\n")
    (tmp_path / "contracts.toml").write_text(
        """
[tool.importlinter]
root_package = "tiny"

[[tool.importlinter.contracts]]
name = "core knows no domain"
type = "layers"
layers = ["tiny.domain", "tiny.core"]

[[tool.importlinter.contracts]]
name = "no cycles"
type = "acyclic_siblings"
ancestors = ["tiny"]
"""
    )
    result = _lint_imports("contracts.toml", cwd=tmp_path, pythonpath=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "core knows no domain BROKEN" in result.stdout
    assert "no cycles BROKEN" in result.stdout
    assert "tiny.core -> tiny.domain" in result.stdout


def test_a_contract_sees_the_real_graph(tmp_path: Path) -> None:
    # The console signs people in through the auth domain: a contract forbidding it must break.
    (tmp_path / "contracts.toml").write_text(
        """
[tool.importlinter]
root_package = "eventguard"

[[tool.importlinter.contracts]]
name = "the console knows no auth"
type = "forbidden"
source_modules = ["eventguard.web"]
forbidden_modules = ["eventguard.auth"]
"""
    )
    result = _lint_imports("contracts.toml", cwd=tmp_path, pythonpath=ROOT / "src")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "the console knows no auth BROKEN" in result.stdout


def _import_loops() -> list[set[str]]:
    """Strongly connected sets of more than one module (imports inside functions count)."""
    graph = grimp.build_graph("eventguard", cache_dir=None)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    loops: list[set[str]] = []

    def visit(module: str) -> None:  # Tarjan's algorithm
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            loop = set()
            while True:
                member = stack.pop()
                loop.add(member)
                if member == module:
                    break
            if len(loop) > 1:
                loops.append(loop)

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return loops


def test_no_import_loops_but_the_known_ones() -> None:
    # Left to its owner: notify (outcomes <-> sender).
    for loop in _import_loops():
        packages = {".".join(module.split(".")[:2]) for module in loop}
        assert packages == {"eventguard.notify"}, sorted(loop)


def test_every_domain_is_in_the_layers() -> None:
    import tomllib

    from eventguard.domains import DOMAINS

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    (layers,) = [c["layers"] for c in config["contracts"] if c["id"] == "layers"]
    _face, console, domains, core = ({m.strip() for m in layer.split(":")} for layer in layers)
    assert console == {"eventguard.web"}
    assert domains == {d.package for d in DOMAINS if not d.core and d.name != "web"}
    assert {d.package for d in DOMAINS if d.core} <= core
