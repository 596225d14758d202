"""The dashboard's JSON API, in process (Starlette's TestClient) on both store backends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Route
from starlette.testclient import TestClient

import hyperlab as hl
from hyperlab.store import Store
from hyperlab.web import create_app

from .conftest import HOSTILE_TAG


@pytest.fixture
def client(seeded: Store) -> Iterator[TestClient]:
    with TestClient(create_app(seeded)) as test_client:
        yield test_client


def test_studies_overview(client: TestClient) -> None:
    studies = {s["study"]: s for s in client.get("/api/studies").json()["studies"]}
    assert set(studies) == {"mnist", "other", "queue-demo"}
    mnist = studies["mnist"]
    assert mnist["runs"] == 7
    assert mnist["by_state"] == {"completed": 7}
    assert mnist["metric"] == "val_acc"
    assert mnist["best"] == pytest.approx(0.6 + 0.1 * 19)
    assert studies["queue-demo"]["by_state"] == {"queued": 2}


def test_runs_filter_sort_and_paginate_on_the_server(client: TestClient) -> None:
    body = client.get("/api/runs", params={"q": "lr < 0.05", "study": "mnist"}).json()
    assert body["total"] == 4
    assert {r["params.lr"] for r in body["rows"]} == {0.01, 0.001}
    ranked = client.get("/api/runs", params={"study": "mnist", "sort": "-val_acc"}).json()
    values = [r["metrics.val_acc"] for r in ranked["rows"]]
    assert values == sorted(values, reverse=True)
    pages = [
        client.get("/api/runs", params={"study": "mnist", "limit": 3, "offset": o}).json()
        for o in (0, 3, 6)
    ]
    assert [p["total"] for p in pages] == [7, 7, 7]
    ids = [r["run_id"] for p in pages for r in p["rows"]]
    assert len(ids) == 7
    assert len(set(ids)) == 7


def test_runs_columns_put_varying_params_first_and_mark_defaults(client: TestClient) -> None:
    body = client.get("/api/runs", params={"study": "mnist", "sort": "number"}).json()
    params = [c for c in body["columns"] if c.startswith("params.")]
    assert params[: len(body["varying"])] == body["varying"]
    assert "params.lr" in body["varying"]
    assert body["columns"][:4] == ["run_id", "ref", "state", "tags"]
    assert body["defaulted"]["params.dropout"][:6] == [True] * 6
    first = body["rows"][0]
    assert first["ref"] == "mnist/1"
    assert first["tags"] == [HOSTILE_TAG]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "lr <"}, "lr <"),
        ({"q": "nosuchname > 1"}, "nosuchname"),
        ({"limit": "0"}, "limit must be between"),
        ({"offset": "-1"}, "offset must be between"),
        ({"limit": "ten"}, "limit must be an integer"),
        ({"study": "nope"}, "nope"),
    ],
)
def test_bad_requests_say_what_is_wrong(
    client: TestClient, params: dict[str, str], message: str
) -> None:
    response = client.get("/api/runs", params=params)
    assert response.status_code in (400, 404)
    assert message in response.json()["error"]


def test_run_page_data(client: TestClient, seeded: Store) -> None:
    run = client.get("/api/runs/1").json()
    assert run["ref"] == "mnist/1"
    assert run["tags"] == [HOSTILE_TAG]
    assert run["params"] == {"lr": 0.1, "optim.name": "sgd", "dropout": 0.0}
    assert run["defaulted"] == ["dropout"]
    assert run["metrics"]["val_acc"]["count"] == 20
    child = client.get(f"/api/runs/{seeded.resolve_run('mnist/7')}").json()
    assert child["ancestors"] == [{"run_id": 1, "ref": "mnist/1", "state": "completed"}]
    assert child["children"] == []
    parent_children = client.get("/api/runs/1").json()["children"]
    assert [c["run_id"] for c in parent_children] == [child["run_id"]]
    assert parent_children[0]["fork_step"] == 9
    assert child["fork_step"] == 9
    assert child["defaulted"] == []
    files = client.get("/api/runs/1/files").json()
    assert files["files"] == [{"path": "stdout.txt", "bytes": 22}]
    assert files["tails"]["stdout.txt"].endswith("all good\n")
    missing = client.get("/api/runs/999999")
    assert missing.status_code == 404
    assert "999999" in missing.json()["error"]


def test_curves_are_downsampled_keeping_extremes(client: TestClient, seeded: Store) -> None:
    values = [0.0] * 100_000
    values[54_321] = 7.0
    big = hl.study("mnist", store=seeded).record_run({"lr": 0.5}, curves={"big": values})
    body = client.get("/api/curves", params={"runs": str(big), "metric": "big"}).json()
    (curve,) = body["curves"]
    assert len(curve["x"]) <= 2000
    assert max(curve["y"]) == 7.0
    assert 54_321.0 in curve["x"]
    assert curve["best"] == {"x": 0.0, "y": 0.0}  # "big" has no declared direction: min


def test_curves_of_several_runs_with_lineage(client: TestClient, seeded: Store) -> None:
    child = seeded.resolve_run("mnist/7")
    body = client.get(
        "/api/curves", params={"runs": f"1,2,{child}", "metric": "val_acc", "smooth": "0.5"}
    ).json()
    assert [c["run_id"] for c in body["curves"]] == [1, 2, child]
    stitched = body["curves"][2]
    assert stitched["x"][:10] == [float(s) for s in range(10)]
    assert stitched["forks"] == [9.0]
    assert client.get("/api/curves", params={"runs": "1"}).status_code == 400
    assert client.get("/api/curves", params={"runs": "1;drop", "metric": "x"}).status_code == 400
    metrics = client.get("/api/metrics", params={"runs": "1,2"}).json()["metrics"]
    assert metrics == ["loss", "val_acc"]


@pytest.mark.parametrize("kind", ["history", "parallel", "importance", "pareto"])
def test_study_plots_are_plotly_json(client: TestClient, kind: str) -> None:
    response = client.get(f"/api/studies/mnist/plots/{kind}")
    assert response.status_code == 200, response.text
    figure = response.json()
    assert figure["data"]
    assert "layout" in figure


def test_unknown_plot_kind(client: TestClient) -> None:
    response = client.get("/api/studies/mnist/plots/pie")
    assert response.status_code == 400
    assert "history" in response.json()["error"]


def test_queue_listing_and_actions_need_the_token(client: TestClient) -> None:
    queue = client.get("/api/queue").json()
    assert [r["state"] for r in queue["queued"]] == ["queued", "queued"]
    ids = [r["run_id"] for r in queue["queued"]]
    denied = client.post("/api/queue/pause", json={"runs": ids})
    assert denied.status_code == 403
    assert client.get("/api/queue").json()["counts"] == {"completed": 8, "queued": 2}
    token = client.app.state.token  # type: ignore[attr-defined]
    headers = {"X-Hyperlab-Token": token}
    paused = client.post("/api/queue/pause", json={"runs": ids}, headers=headers)
    assert paused.json() == {"action": "pause", "changed": 2}
    assert {r["state"] for r in client.get("/api/queue").json()["queued"]} == {"paused"}
    resumed = client.post("/api/queue/resume", json={"all": True}, headers=headers)
    assert resumed.json()["changed"] == 2
    cancelled = client.post("/api/queue/cancel", json={"runs": ids[:1]}, headers=headers)
    assert cancelled.json()["changed"] == 1
    assert [r["run_id"] for r in client.get("/api/queue").json()["failed"]] == ids[:1]
    bad = client.post("/api/queue/explode", json={}, headers=headers)
    assert bad.status_code == 400
    assert "pause" in bad.json()["error"]
    bad_body = client.post("/api/queue/pause", content=b"{not json", headers=headers)
    assert bad_body.status_code == 400


def test_a_token_guards_every_request_when_given(seeded: Store) -> None:
    with TestClient(create_app(seeded, token="s3cret")) as client:
        assert client.get("/api/studies").status_code == 401
        assert client.get("/").status_code == 401
        assert client.get("/api/studies", params={"token": "wrong"}).status_code == 401
        assert (
            client.get("/api/studies", headers={"X-Hyperlab-Token": "s3cret"}).status_code == 200
        )
        assert client.get("/api/studies", headers={"Authorization": "Bearer s3cret"}).is_success
        first = client.get("/", params={"token": "s3cret"})
        assert first.status_code == 200
        assert "hyperlab_token" in first.headers["set-cookie"]
        assert client.get("/api/studies").status_code == 200  # the cookie now carries it
        # a cookie alone never authorises a state change: POST needs the header
        assert client.post("/api/queue/pause", json={"all": True}).status_code == 403
        ok = client.post(
            "/api/queue/pause", json={"all": True}, headers={"X-Hyperlab-Token": "s3cret"}
        )
        assert ok.status_code == 200


def test_host_header_checked_when_bound_to_loopback(seeded: Store) -> None:
    app = create_app(seeded, allowed_hosts=["127.0.0.1", "localhost"])
    with TestClient(app, base_url="http://evil.example") as client:
        assert client.get("/api/studies").status_code == 400
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        assert client.get("/api/studies").status_code == 200


def test_page_static_files_and_security_headers(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert client.get("/static/app.js").status_code == 200
    plotly_js = client.get("/static/plotly.min.js")
    assert plotly_js.status_code == 200
    assert len(plotly_js.content) > 1_000_000
    assert client.get("/nope").status_code == 404


def test_openapi_describes_every_api_route(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    documented = set(spec["paths"])
    routes = {
        r.path.replace("{run_id:int}", "{run_id}")
        for r in client.app.routes  # type: ignore[attr-defined]
        if isinstance(r, Route) and r.path.startswith("/api/")
    }
    assert routes == documented


def _value(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    """Valid-looking values of a parameter's declared type, and garbage."""
    garbage = st.text(max_size=20)
    if "enum" in schema:
        return st.one_of(st.sampled_from([str(v) for v in schema["enum"]]), garbage)
    if schema.get("type") == "integer":
        return st.one_of(st.integers(-5, 10**7).map(str), garbage)
    if schema.get("type") == "number":
        return st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(str), garbage)
    if schema.get("type") == "boolean":
        return st.one_of(st.sampled_from(["true", "false", "1", "0"]), garbage)
    return st.one_of(
        st.sampled_from(["1,2", "val_acc", "lr < 0.05", "-val_acc", "mnist"]), garbage
    )


def _requests(spec: dict[str, Any]) -> st.SearchStrategy[tuple[str, dict[str, str]]]:
    """(url path, query params) for every GET operation of the OpenAPI description."""
    options = []
    for template, item in spec["paths"].items():
        if "get" not in item:
            continue
        params = item["get"]["parameters"]
        path_params = {p["name"]: _value(p["schema"]) for p in params if p["in"] == "path"}
        query = {p["name"]: _value(p["schema"]) for p in params if p["in"] == "query"}
        options.append(
            st.tuples(
                st.just(template),
                st.fixed_dictionaries(path_params),
                st.fixed_dictionaries({}, optional=query),
            )
        )

    def build(choice: tuple[str, dict[str, str], dict[str, str]]) -> tuple[str, dict[str, str]]:
        template, path_values, query_values = choice
        path = template
        for name, value in path_values.items():
            path = path.replace("{" + name + "}", quote(value, safe="") or "x")
        return path, query_values

    return st.one_of(options).map(build)


def test_no_input_described_by_openapi_makes_the_api_fail(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    seen: set[str] = set()

    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(_requests(spec))
    def check(request: tuple[str, dict[str, str]]) -> None:
        path, params = request
        seen.add(path.split("/")[2])
        response = client.get(path, params=params)
        assert response.status_code < 500, (path, params, response.text)
        assert response.headers["content-type"].startswith("application/json")

    check()
    assert seen >= {"studies", "runs", "curves", "metrics", "queue"}


def test_run_page_marks_conditional_defaults(client: TestClient, seeded: Store) -> None:
    study = hl.study("mnist", store=seeded)
    study.set_default("momentum", 0.9, when='optim.name == "sgd"')
    sgd = client.get("/api/runs/1").json()  # optim.name = sgd
    adam = client.get("/api/runs/2").json()
    assert sgd["params"]["momentum"] == 0.9
    assert sgd["defaulted"] == ["dropout", "momentum"]
    assert "momentum" not in adam["params"]
    assert adam["defaulted"] == ["dropout"]
