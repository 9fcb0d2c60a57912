"""The plans API on both databases."""

from __future__ import annotations

import pytest
import yaml
from fastapi.testclient import TestClient

from tests.conftest import AuthHeaders
from tests.plans.helpers import edit, line_of

YAML = {"Content-Type": "application/yaml"}


def _apply(
    client: TestClient, auth_headers: AuthHeaders, source: str, comment: str = "", role: str = "admin"
) -> dict[str, object]:
    # An admin by default: the example plan's security section may be set by an admin only.
    response = client.post(
        "/api/v1/plans",
        content=source.encode(),
        params={"comment": comment} if comment else {},
        headers={**auth_headers(role), **YAML},
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_validate_answers_200_with_the_errors_as_data(
    client: TestClient, auth_headers: AuthHeaders, example_source: str
) -> None:
    source = edit(example_source, "        owner: vendor-cdn\n", "        owner: vendr-cdn\n")
    response = client.post(
        "/api/v1/plans/validate",
        content=source.encode(),
        params={"filename": "conf.yaml"},
        headers={**auth_headers("viewer"), "Content-Type": "text/plain", "Accept-Language": "en"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is False and body["warnings"] == []
    [error] = body["errors"]
    assert (error["file"], error["line"], error["code"]) == (
        "conf.yaml",
        line_of(source, "vendr-cdn"),
        "unknown_team",
    )
    assert error["path"] == "scenarios[0].runbook[2].owner"
    assert error["message"].startswith('Unknown team "vendr-cdn"')
    assert error["message_i18n"]["zh-CN"].startswith("未知团队")


def test_validate_accepts_json_and_answers_in_chinese_by_default(
    client: TestClient, auth_headers: AuthHeaders
) -> None:
    response = client.post(
        "/api/v1/plans/validate", json={"source": "- not a mapping\n"}, headers=auth_headers("viewer")
    )
    assert response.status_code == 200
    [error] = response.json()["errors"]
    assert (error["file"], error["code"]) == ("plan.yaml", "not_a_mapping")
    assert error["message"].startswith("预案必须是键值映射")


def test_validate_says_a_valid_plan_is_valid(
    client: TestClient, auth_headers: AuthHeaders, example_source: str
) -> None:
    response = client.post(
        "/api/v1/plans/validate", content=example_source.encode(), headers={**auth_headers("viewer"), **YAML}
    )
    assert response.json() == {"valid": True, "errors": [], "warnings": []}


def test_validate_needs_a_signed_in_caller(client: TestClient, example_source: str) -> None:
    response = client.post("/api/v1/plans/validate", content=example_source.encode(), headers=YAML)
    assert response.status_code == 401


def test_a_malformed_json_body_is_a_422_not_a_500(client: TestClient, auth_headers: AuthHeaders) -> None:
    response = client.post(
        "/api/v1/plans/validate",
        content=b'{"src": 1}',
        headers={**auth_headers("viewer"), "Content-Type": "application/json"},
    )
    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_body")


def test_apply_stores_a_version_for_a_commander(
    client: TestClient, auth_headers: AuthHeaders, example_source: str
) -> None:
    # Without a security policy of its own (setting one needs an admin: test_security_policy.py).
    source = edit(example_source, "require_2fa_for: [commander, admin]", "require_2fa_for: []")
    body = _apply(client, auth_headers, source, comment="initial plan", role="commander")
    assert {key: body[key] for key in ("event", "number", "comment", "author_name")} == {
        "event": "cloud-summit-2026",
        "number": 1,
        "comment": "initial plan",
        "author_name": "commander-user/test",
    }
    assert body["author_id"] is not None


def test_apply_is_forbidden_below_commander(
    client: TestClient, auth_headers: AuthHeaders, example_source: str
) -> None:
    response = client.post(
        "/api/v1/plans", content=example_source.encode(), headers={**auth_headers("responder"), **YAML}
    )
    assert (response.status_code, response.json()["error"]["code"]) == (403, "insufficient_role")


def test_apply_refuses_an_invalid_plan_with_line_numbered_details(
    client: TestClient, auth_headers: AuthHeaders, example_source: str
) -> None:
    source = edit(example_source, "Started: {{ started_at }}", "Started: {{ start_time }}")
    response = client.post(
        "/api/v1/plans",
        json={"source": source, "filename": "conf.yaml"},
        headers={**auth_headers("commander"), "Accept-Language": "en"},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("plan_invalid", "The plan has 1 error(s).")
    [detail] = error["details"]
    assert (detail["file"], detail["line"], detail["code"]) == (
        "conf.yaml",
        line_of(source, "{{ start_time }}"),
        "template_unknown_variable",
    )


def test_it_serves_the_plan_in_force_its_versions_and_one_version(
    client: TestClient, auth_headers: AuthHeaders, example_source: str
) -> None:
    _apply(client, auth_headers, example_source)
    _apply(
        client,
        auth_headers,
        edit(example_source, "    quiet_period: 30m\n", "    quiet_period: 45m\n"),
        comment="v2",
    )
    viewer = auth_headers("viewer")
    plan = client.get("/api/v1/events/cloud-summit-2026/plan", headers=viewer).json()
    assert (plan["version"], plan["spec"]["levels"][2]["quiet_period"]) == (2, "45m")
    versions = client.get("/api/v1/events/cloud-summit-2026/plan/versions", headers=viewer).json()
    assert [(v["number"], v["comment"]) for v in versions] == [(2, "v2"), (1, None)]
    first = client.get("/api/v1/events/cloud-summit-2026/plan/versions/1", headers=viewer).json()
    assert first["spec"]["levels"][2]["quiet_period"] == "30m"
    missing = client.get("/api/v1/events/cloud-summit-2026/plan/versions/9", headers=viewer)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "plan_version_not_found")
    assert client.get("/api/v1/events/nope/plan", headers=viewer).status_code == 404


def test_it_exports_a_version_as_yaml_that_applies_as_the_same_version(
    client: TestClient, auth_headers: AuthHeaders, example_source: str
) -> None:
    _apply(client, auth_headers, example_source)
    response = client.get(
        "/api/v1/events/cloud-summit-2026/plan/versions/1/export", headers=auth_headers("viewer")
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/yaml")
    assert yaml.safe_load(response.text)["event"]["slug"] == "cloud-summit-2026"
    assert _apply(client, auth_headers, response.text)["number"] == 1


def test_it_shows_what_changed_between_two_versions(
    client: TestClient, auth_headers: AuthHeaders, example_source: str
) -> None:
    _apply(client, auth_headers, example_source)
    _apply(
        client,
        auth_headers,
        edit(example_source, "    pause_activity: true\n", "    pause_activity: false\n"),
    )
    response = client.get(
        "/api/v1/events/cloud-summit-2026/plan/diff",
        params={"from": 1, "to": 2},
        headers=auth_headers("viewer"),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["changes"] == [
        {"path": "levels[1].pause_activity", "kind": "changed", "before": True, "after": False}
    ]
    assert "-    pause_activity: true\n+    pause_activity: false\n" in body["text"]


def test_reading_a_plan_needs_a_signed_in_caller(client: TestClient) -> None:
    assert client.get("/api/v1/events/cloud-summit-2026/plan").status_code == 401


# --- Hostile plans: bounded, line-numbered, never a 500 -------------------------------------------

LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
)


def test_a_viewer_s_billion_laughs_is_refused_quickly_with_its_line(
    client: TestClient, auth_headers: AuthHeaders
) -> None:
    import tracemalloc

    assert len(LAUGHS.encode()) < 400
    tracemalloc.start()
    try:
        response = client.post(
            "/api/v1/plans/validate", content=LAUGHS.encode(), headers={**auth_headers("viewer"), **YAML}
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The expansion is refused before it is built (it used 843 MB and 10 s): bounded by memory, which
    # a loaded machine does not change, rather than by a wall-clock time, which it does.
    assert peak < 64 * 1024 * 1024
    assert response.status_code == 200
    [error] = response.json()["errors"]
    assert error["code"] == "alias_expansion_too_large" and error["line"] > 1


def test_deep_yaml_is_a_line_numbered_error_on_validate_and_a_422_on_apply(
    client: TestClient, auth_headers: AuthHeaders
) -> None:
    source = "event:\n  name: " + "[" * 900 + "]" * 900 + "\n"
    response = client.post(
        "/api/v1/plans/validate", content=source.encode(), headers={**auth_headers("viewer"), **YAML}
    )
    assert response.status_code == 200
    [error] = response.json()["errors"]
    assert (error["code"], error["line"]) == ("nesting_too_deep", 2)
    applied = client.post(
        "/api/v1/plans", content=source.encode(), headers={**auth_headers("commander"), **YAML}
    )
    assert applied.status_code == 422
    assert applied.json()["error"]["code"] == "plan_invalid"
    assert applied.json()["error"]["details"][0]["code"] == "nesting_too_deep"


def test_deep_json_around_a_plan_is_a_422_envelope(client: TestClient, auth_headers: AuthHeaders) -> None:
    body = '{"source": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = client.post(
        "/api/v1/plans/validate",
        content=body.encode(),
        headers={**auth_headers("viewer"), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_body"


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"filename": "plan\x00.yaml"}, "filename"),
        ({"filename": "p" * 300}, "filename"),
        ({"comment": "a\x07"}, "comment"),
    ],
)
def test_a_bad_filename_or_comment_in_the_query_is_a_422_envelope(
    client: TestClient, auth_headers: AuthHeaders, params: dict[str, str], parameter: str
) -> None:
    response = client.post(
        "/api/v1/plans/validate", content=b"a: 1\n", params=params, headers={**auth_headers("viewer"), **YAML}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["details"]) == ("invalid_query", {"parameter": parameter})
    assert f"?{parameter}=" in error["message"]


def test_a_control_character_in_a_json_plan_s_filename_is_refused(
    client: TestClient, auth_headers: AuthHeaders
) -> None:
    response = client.post(
        "/api/v1/plans/validate",
        json={"source": "a: 1\n", "filename": "x\u0007.yaml"},
        headers=auth_headers("viewer"),
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_body"
