"""The access matrix (issue 9, 3.2): every route of the app called as each of the eight callers of
``matrix.yaml`` and its answer checked against the declared row; a route without a row (or a row
without a route) fails. The declared rows are also checked against what the code itself declares:
a route that depends on ``require_role(X)`` must refuse (403) the roles below X and let X and
above through, and one that depends on authentication must answer 401 to the bad credentials."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import pytest

from eventguard.auth.deps import get_enrolling_principal
from eventguard.auth.models import Role
from tests.access.harness import CALLERS, ROLES, Harness, Route, harness, load_matrix, routes

BAD_CREDENTIALS = ("anonymous", "other_event", "expired", "revoked")


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    yield from harness(tmp_path_factory.mktemp("access"))


@pytest.fixture(scope="module")
def observed(made: Harness) -> dict[str, list[str]]:
    return made.observe()


@pytest.fixture(scope="module")
def declared() -> dict[str, list[str]]:
    return load_matrix()


def test_every_route_has_a_row_and_every_row_a_route(made: Harness, declared: dict[str, list[str]]) -> None:
    keys = {route.key for route in routes(made.app)}
    missing = sorted(keys - set(declared))
    stale = sorted(set(declared) - keys)
    assert not missing, f"routes without a row in tests/access/matrix.yaml: {missing}"
    assert not stale, f"rows of tests/access/matrix.yaml without a route: {stale}"
    assert all(len(row) == len(CALLERS) for row in declared.values())


def test_every_route_answers_every_caller_as_declared(
    observed: dict[str, list[str]], declared: dict[str, list[str]]
) -> None:
    wrong = [
        f"{key} as {caller}: declared {want}, answered {got}"
        for key, row in observed.items()
        if key in declared
        for caller, got, want in zip(CALLERS, row, declared[key], strict=True)
        if got != want
    ]
    cells = sum(len(row) for row in observed.values())
    assert cells >= 8 * 200
    assert not wrong, "\n".join(wrong)


def _calls(dependant: Any) -> Iterator[Any]:
    for dependency in getattr(dependant, "dependencies", ()):
        yield dependency.call
        yield from _calls(dependency)


def _minimum_role(route: Route) -> Role | None:
    found = [
        inspect.getclosurevars(call).nonlocals.get("minimum")
        for call in _calls(route.dependant)
        if getattr(call, "__qualname__", "").startswith("require_role.")
    ]
    roles = [role for role in found if isinstance(role, Role)]
    return max(roles, key=lambda role: role.rank) if roles else None


def _authenticates(route: Route) -> bool:
    return any(call is get_enrolling_principal for call in _calls(route.dependant))


def test_the_declared_rows_follow_the_roles_the_routes_require(
    made: Harness, declared: dict[str, list[str]]
) -> None:
    checked, wrong = 0, []
    for route in routes(made.app):
        row = dict(zip(CALLERS, declared.get(route.key, []), strict=False))
        if not row:
            continue
        if _authenticates(route):
            checked += 1
            for caller in BAD_CREDENTIALS:
                if row[caller] != "401":
                    wrong.append(f"{route.key}: {caller} gets {row[caller]}, the route authenticates (401)")
        minimum = _minimum_role(route)
        if minimum is None:
            continue
        for role in ROLES:
            below = Role(role).rank < minimum.rank
            if below and row[role] != "403":
                wrong.append(
                    f"{route.key}: {role} gets {row[role]}, the route requires {minimum.value} (403)"
                )
            if not below and row[role] in ("401", "403"):
                wrong.append(
                    f"{route.key}: {role} gets {row[role]}, the route lets {minimum.value} and above in"
                )
    assert checked >= 100, "the authenticating routes are found"
    assert not wrong, "\n".join(wrong)


def test_a_bad_credential_never_gets_more_than_no_credential(declared: dict[str, list[str]]) -> None:
    through = ("2xx", "3xx")
    wrong = [
        f"{key}: {caller} gets {row[CALLERS.index(caller)]}, anonymous {row[0]}"
        for key, row in declared.items()
        for caller in ("expired", "revoked")
        if row[CALLERS.index(caller)] in through and row[0] not in through
    ]
    assert not wrong, "\n".join(wrong)
