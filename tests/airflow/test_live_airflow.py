"""The SyncHub page in a real Airflow, driven by real headless Chromium, over the demo's real servers.

`synchub demo` starts a real Tryton and a real BottleCRM, seeds them and syncs the five flows (one
conflict open). Three more customers are renamed on both sides, and a real Airflow (api-server,
scheduler, dag-processor on 127.0.0.1, SQLite) runs the customers DAG, which opens three more
conflicts. One Airflow and one browser serve every test of this module (about three minutes).
Outside CI a machine that cannot build the servers skips; under ``CI=true`` that fails.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from live_airflow import Airflow, browser, log_in

from connectors.base import WriteRequest
from sync_engine.config import Config, load_config
from sync_engine.flows import open_connector
from sync_engine.store import Store
from synchub_dev.demo import DemoFailed, DemoResult, run_demo, scenario, stop_servers
from synchub_dev.demo.seed import find_id, write_all
from synchub_dev.peers.process import PeerError

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
DOCS = REPO / "docs"
CRM_WEB = "https://crm.example.com"  # BottleCRM's web app is a site of its own, not run here
COLUMNS = ("revenue", "cost", "margin", "margin-percent")
RENAMED = ("Müller Maschinenbau GmbH", "Zürcher Präzision AG", "株式会社山田製作所")
pytestmark = pytest.mark.slow


@dataclass
class Live:
    airflow: Airflow
    demo: DemoResult
    config: Config
    chromium: Any

    def store(self) -> Store:
        return Store(self.config.state.url)

    def page(self, user: str = "admin", **context: Any) -> Any:
        ctx = self.chromium.new_context(viewport={"width": 1500, "height": 950}, locale="en-US", **context)
        page = ctx.new_page()
        log_in(page, self.airflow, user)
        return page

    def open(self, page: Any, tab: str = "conflicts") -> None:
        page.goto(f"{self.airflow.url}/plugin/synchub?tab={tab}", timeout=60_000)
        page.get_by_test_id("synchub-page").wait_for(timeout=60_000)


def _rename_on_both_sides(config: Config, names: tuple[str, ...]) -> None:
    erp, crm = open_connector(config, "erp"), open_connector(config, "crm")
    try:
        for name in names:
            erp_id, crm_id = find_id(erp, "customer", "name", name), find_id(crm, "customer", "name", name)
            write_all(erp, "customer", [WriteRequest("update", name, {"name": f"{name} (ERP)"}, erp_id)])
            write_all(crm, "customer", [WriteRequest("update", name, {"name": f"{name} (CRM)"}, crm_id)])
    finally:
        erp.close()
        crm.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    workdir = tmp_path_factory.mktemp("ops-demo")
    try:
        demo = run_demo(workdir)  # sets SYNCHUB_CONFIG and the connection variables in os.environ
    except DemoFailed as exc:
        if isinstance(exc.cause, PeerError) and os.environ.get("CI", "").lower() != "true":
            pytest.skip(f"Tryton or BottleCRM could not be set up here: {exc.cause}")
        raise
    airflow: Airflow | None = None
    try:
        doc = yaml.safe_load(demo.config_path.read_text(encoding="utf-8"))
        doc["systems"]["crm"]["options"] = {"web_url": CRM_WEB}
        demo.config_path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        config = load_config(demo.config_path)
        _rename_on_both_sides(config, RENAMED)
        airflow = Airflow(tmp_path_factory.mktemp("live-airflow"), {})
        airflow.start()
        airflow.prepare_dag("synchub_customers", ["synchub_erp", "synchub_crm"])
        airflow.run_dag("synchub_customers", needs_attention=True)  # 3 conflicts opened
        with browser() as chromium:
            yield Live(airflow, demo, config, chromium)
    finally:
        if airflow is not None:
            airflow.stop()
            shutil.copytree(airflow.logs, ARTIFACTS / "airflow-logs", dirs_exist_ok=True)
        stop_servers(workdir)


def _shot(page: Any, name: str) -> None:
    """A screenshot of the real page in test-artifacts/ (and docs/ when SYNCHUB_UPDATE_DOCS is set)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))
    if os.environ.get("SYNCHUB_UPDATE_DOCS"):
        shutil.copyfile(ARTIFACTS / name, DOCS / name)


def _conflict_row(page: Any, text: str) -> Any:
    row = page.get_by_test_id(re.compile(r"^conflict-\d+$")).filter(has_text=text)
    row.wait_for(timeout=60_000)
    return row


def test_a_conflict_shows_the_customers_name_and_links_into_both_systems(live: Live) -> None:
    page = live.page()
    live.open(page)
    row = _conflict_row(page, scenario.CONFLICT_VALUES["crm"])
    assert row.get_by_test_id("record-name").inner_text() == scenario.CONFLICT_CUSTOMER  # as last synced
    store = live.store()
    try:
        open_ = store.list_conflicts(flow="customers")
        [conflict] = [c for c in open_ if c.values == scenario.CONFLICT_VALUES]
        link = store.get_links("customers", [conflict.canonical_id])[conflict.canonical_id]
    finally:
        store.close()
    tryton = live.demo.servers["tryton"]
    erp_href = row.get_by_role("link", name=re.compile("^open in ERP tryton")).get_attribute("href")
    crm_href = row.get_by_role("link", name=re.compile("^open in CRM bottlecrm")).get_attribute("href")
    database = quote(tryton["database"])
    assert erp_href == f"{tryton['url']}/#{database}/model/party.party/{link.external_ids['erp']}"
    assert crm_href == f"{CRM_WEB}/accounts/{link.external_ids['crm']}"
    # Tryton has a change marker; BottleCRM has none, so the page says when SyncHub first saw the change
    assert "the system's change time" in row.inner_text() and "first seen by SyncHub" in row.inner_text()
    _shot(page, "airflow-conflicts.png")
    page.context.close()


def test_a_viewer_sees_no_action_buttons(live: Live) -> None:
    page = live.page("viewer")
    live.open(page)
    row = _conflict_row(page, scenario.CONFLICT_VALUES["crm"])
    assert page.get_by_role("checkbox").count() == 0
    row.click()  # the detail of a conflict: values and when, without resolve buttons
    page.get_by_test_id("conflict-detail").wait_for()
    for label in ("Take ERP value", "Take CRM value", "Use this value", "Take ERP values"):
        assert page.get_by_role("button", name=label).count() == 0
    live.open(page, "dead-letters")
    page.get_by_text(re.compile("No open dead letters|Record")).first.wait_for()
    assert page.get_by_role("checkbox").count() == 0 and page.get_by_role("button", name="Retry").count() == 0
    page.context.close()


def test_three_conflicts_resolved_in_one_action_then_the_flow_runs_from_the_page(live: Live) -> None:
    page = live.page()
    live.open(page)
    for name in RENAMED:
        # the visible box a person clicks (the checkbox input itself is hidden under it)
        _conflict_row(page, f"{name} (CRM)").locator("[data-scope=checkbox][data-part=control]").click()
    bar = page.get_by_test_id("bulk-bar")
    assert "3 selected" in bar.inner_text()
    bar.get_by_role("button", name="Take ERP values").click()
    page.get_by_text("3 conflicts resolved").wait_for(timeout=30_000)
    store = live.store()
    try:
        decided = [c for c in store.list_conflicts(flow="customers", status="resolved")]
        assert sorted(str(c.values["erp"]) for c in decided) == sorted(f"{n} (ERP)" for n in RENAMED)
        assert {(c.resolution, c.resolved_by) for c in decided} == {("erp", "admin")}
    finally:
        store.close()
    audit = live.airflow.api("GET", "/eventLogs", params={"event": "synchub.resolve_conflict"}).json()
    assert audit["total_entries"] == 3 and {e["owner"] for e in audit["event_logs"]} == {"admin"}

    page.get_by_role("button", name="Run customers now").click()
    started = page.get_by_text(re.compile(r"DAG run .+ started"))
    started.wait_for(timeout=30_000)
    run_id = re.search(r"DAG run (\S+) started", started.inner_text())
    assert run_id
    live.airflow.wait_run("synchub_customers", run_id.group(1))
    crm = open_connector(live.config, "crm")
    try:
        names = {r.data["name"] for page_ in crm.read_changes("customer", None) for r in page_.records}
    finally:
        crm.close()
    assert {f"{n} (ERP)" for n in RENAMED} <= names  # the ERP's names reached BottleCRM
    page.context.close()


def test_the_page_follows_airflows_dark_theme(live: Live) -> None:
    light, dark = live.page(), live.page(color_scheme="dark")
    colours = {}
    for mode, page in (("light", light), ("dark", dark)):
        live.open(page)
        _conflict_row(page, scenario.CONFLICT_VALUES["crm"])
        colours[mode] = page.evaluate(
            """() => {
                const name = document.querySelector('[data-testid=record-name]');
                let el = name;  // what is painted behind the name: the first opaque background up the tree
                while (el && getComputedStyle(el).backgroundColor.match(/rgba\\(.*, 0\\)$|transparent/)) {
                    el = el.parentElement;
                }
                return {
                    dark: document.documentElement.classList.contains('dark'),
                    text: getComputedStyle(name).color,
                    page: getComputedStyle(el || document.documentElement).backgroundColor,
                };
            }"""
        )
    assert colours["dark"]["dark"] is True and colours["light"]["dark"] is False
    # lightness 0 (black) to 1 (white): a dark background with light text, and the other way round
    assert _luminance(colours["dark"]["page"]) < 0.35 and _luminance(colours["light"]["page"]) > 0.8
    assert _luminance(colours["dark"]["text"]) > 0.6 and _luminance(colours["light"]["text"]) < 0.4
    _shot(dark, "airflow-conflicts-dark.png")
    light.context.close()
    dark.context.close()


def _luminance(css: str) -> float:
    """0 (black) to 1 (white) of a CSS colour as Chromium computes it: rgb(), rgba() or oklch()."""
    numbers = [float(n) for n in re.findall(r"[\d.]+", css)]
    if css.startswith("oklch"):
        return numbers[0] / 100 if "%" in css.split()[0] else numbers[0]  # perceptual lightness
    r, g, b = numbers[:3]
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def test_margin_view_equals_a_hand_calculation_on_the_demo_data(live: Live) -> None:
    # The demo's accepted quote: 2 x PMP-100 at 1250.00 (cost 812.50) and 10 x SEN-T20 at 78.90 (cost 31.25)
    # revenue 2500.00 + 789.00 = 3289.00; cost 1625.00 + 312.50 = 1937.50; margin 1351.50 = 41.09 %
    products = {p["code"]: p for p in scenario.PRODUCTS}
    assert sum(Decimal(q) * products[c]["list_price"] for c, q in scenario.QUOTE_LINES) == Decimal("3289.00")
    assert sum(Decimal(q) * products[c]["cost_price"] for c, q in scenario.QUOTE_LINES) == Decimal("1937.50")
    page = live.page()
    live.open(page, "margin")
    row = page.get_by_test_id(f"margin-row-{scenario.QUOTE_CUSTOMER}")
    row.wait_for(timeout=60_000)
    cells = {name: row.get_by_test_id(name).inner_text() for name in COLUMNS}
    assert cells["revenue"] == "€3,289.00" and cells["cost"].startswith("€1,937.50")
    assert (cells["margin"], cells["margin-percent"]) == ("€1,351.50", "41.09 %")
    assert page.get_by_test_id("total-margin-EUR").inner_text() == "€1,351.50"
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    table = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert [(r["customer"], r["revenue"], r["cost"], r["margin"], r["margin_percent"]) for r in table] == [
        (scenario.QUOTE_CUSTOMER, "3289.00", "1937.50", "1351.50", "41.09")
    ]
    _shot(page, "airflow-margin.png")
    page.get_by_label("Margin by", exact=True).select_option("product")
    pump = page.get_by_test_id("margin-row-PMP-100 · Kreiselpumpe KP-100")
    pump.wait_for()
    assert pump.get_by_test_id("margin").inner_text() == "€875.00"  # 2500.00 - 1625.00
    page.context.close()


def test_runs_link_to_their_airflow_dag_run_and_logs_and_charts_draw(live: Live) -> None:
    page = live.page()
    live.open(page, "runs")
    page.get_by_test_id("runs-table").wait_for(timeout=60_000)
    dag_run = page.get_by_role("link", name="DAG run").first
    assert "/dags/synchub_customers/runs/" in (dag_run.get_attribute("href") or "")
    logs = page.get_by_role("link", name="logs").first.get_attribute("href") or ""
    assert re.search(r"/dags/synchub_customers/runs/[^/]+/tasks/sync$", logs), logs
    dag_run.click()
    page.wait_for_url(re.compile(r"/dags/synchub_customers/runs/"), timeout=30_000)
    live.open(page, "charts")
    page.get_by_test_id("charts").wait_for(timeout=60_000)
    for chart in ("records synced", "conflicts opened and resolved", "dead letters", "run durations"):
        assert page.get_by_role("img", name=chart).count() == 1, chart
    page.context.close()
