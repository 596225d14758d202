"""The dashboard in a real headless Chromium (Playwright) against a live uvicorn server.

Each test waits for selectors (30 s timeouts), never for fixed delays; screenshots of the last
page land in the test's tmp_path, or under $HYPERLAB_TEST_ARTIFACTS when set (CI).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hyperlab.store import Store
from hyperlab.web import create_app

from .conftest import HOSTILE_TAG, LiveServer

pytestmark = pytest.mark.browser


@pytest.fixture
def server(seeded: Store) -> Iterator[LiveServer]:
    with LiveServer(create_app(seeded, allowed_hosts=["127.0.0.1"])) as live:
        yield live


def _rows(page: Any) -> int:
    return int(page.locator("#runs-table tbody tr").count())


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_query_box_sort_select_three_curves_and_open_a_run(
    server: LiveServer, page: Any, artifacts: Path
) -> None:
    page.goto(f"{server.url}/#/runs?study=mnist")
    page.wait_for_selector("#runs-table tbody tr")
    assert page.locator("#runs-total").inner_text() == "7 runs"
    page.fill("#query", "lr < 0.05")
    page.press("#query", "Enter")
    page.wait_for_selector("#runs-total:text-is('4 runs')")
    assert _rows(page) == 4
    assert (
        page.locator('th[data-col="metrics.val_acc"]')
        .get_attribute("class")
        .startswith("sorted-desc")
    )  # best first by the study's main metric
    page.click('th[data-col="params.lr"]')
    page.wait_for_selector('th[data-col="params.lr"].sorted-desc')
    column = page.locator("#runs-table thead th").all_inner_texts().index("lr")
    values = [
        float(row.locator("td").nth(column).inner_text())
        for row in page.locator("#runs-table tbody tr").all()
    ]
    assert values == sorted(values, reverse=True)
    assert len(values) == 4
    boxes = page.locator("input.select-run")
    for i in range(3):
        boxes.nth(i).check()
    page.wait_for_selector('#curves-plot[data-curves="3"]')
    assert page.locator("#curves-plot .scatterlayer .trace").count() == 6  # 3 lines + 3 stars
    page.screenshot(path=str(artifacts / "curves.png"), full_page=True)
    page.locator("a.run-link").first.click()
    page.wait_for_selector("#run-title")
    assert page.locator("#run-params").inner_text().count("lr") == 1
    assert page.errors == []


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_hostile_tag_renders_as_text(server: LiveServer, page: Any) -> None:
    page.goto(f"{server.url}/#/runs?study=mnist&sort=number")
    page.wait_for_selector("td.tags .badge")
    assert page.locator("td.tags .badge").first.inner_text() == HOSTILE_TAG
    page.goto(f"{server.url}/#/run/1")
    page.wait_for_selector("#run-title .badge.tag")
    assert page.locator("#run-title .badge.tag").inner_text() == HOSTILE_TAG
    assert page.locator("pre.tail").inner_text().rstrip().endswith("all good")  # stdout tail
    assert "mnist/7" in page.locator("#run-children").inner_text()  # the fork of run 1
    page.locator("#run-children a").first.click()
    page.wait_for_selector("#run-lineage a")
    assert page.locator("#run-lineage a").first.inner_text() == "mnist/1"
    scripts = page.evaluate("[...document.scripts].map(s => s.src || s.textContent)")
    assert all("alert" not in s for s in scripts)
    assert page.dialogs == []


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_queue_page_pauses_the_queue(server: LiveServer, page: Any) -> None:
    page.goto(f"{server.url}/#/queue")
    page.wait_for_selector("#queue-queued tr")
    page.click("#pause-all")
    page.locator("#queue-queued .badge.state-paused").nth(1).wait_for()
    assert page.locator("#queue-queued .badge.state-paused").count() == 2
    assert page.locator("#queue-queued .badge.state-queued").count() == 0
    assert page.locator("#queue-error").inner_text() == ""


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_token_required_when_not_bound_to_loopback(seeded: Store, page: Any) -> None:
    with LiveServer(create_app(seeded, token="tok-123")) as live:
        denied = page.goto(f"{live.url}/")
        assert denied is not None
        assert denied.status == 401
        page.goto(f"{live.url}/?token=tok-123#/")
        page.wait_for_selector("#studies-table a.study-link")
        links = page.locator("#studies-table a.study-link").all_inner_texts()
        assert set(links) == {"mnist", "other", "queue-demo"}
        page.get_by_role("link", name="mnist", exact=True).click()
        for kind in ("history", "parallel", "importance", "pareto"):
            page.wait_for_selector(f"#plot-{kind} .main-svg")
        page.wait_for_selector("#plot-parallel .y-axis")  # WebGL lines drawn under our CSP
        assert page.errors == []
