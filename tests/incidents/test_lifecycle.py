"""The lifecycle allows exactly the documented transitions."""

from __future__ import annotations

import itertools

import pytest

from eventguard.errors import Conflict
from eventguard.incidents.lifecycle import ALLOWED, check_transition
from eventguard.incidents.models import IncidentStatus as S


def test_the_happy_path_is_allowed_step_by_step() -> None:
    path = [S.triggered, S.acknowledged, S.mitigating, S.monitoring, S.resolved, S.reviewed]
    for current, target in itertools.pairwise(path):
        check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.reviewed, S.triggered),
        (S.resolved, S.acknowledged),
        (S.acknowledged, S.triggered),
        (S.triggered, S.reviewed),
    ],
)
def test_an_illegal_transition_is_a_409_conflict(current: S, target: S) -> None:
    with pytest.raises(Conflict) as caught:
        check_transition(current, target)
    assert caught.value.status_code == 409
    assert caught.value.code == "illegal_transition"
    assert caught.value.details["from"] == current.value


def test_reviewed_is_final() -> None:
    assert ALLOWED[S.reviewed] == frozenset()
