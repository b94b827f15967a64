"""Put the demo's data into the two servers through their connectors (the flows' own code paths)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import requests

from connectors.base import Connector, WriteRequest
from synchub_dev.demo import scenario
from synchub_dev.peers.bottlecrm import BottleCrmInstance

__all__ = ["SeedError", "edit_both_sides", "find_id", "seed_masters", "seed_sales", "seed_suitecrm_sales"]


class SeedError(RuntimeError):
    """A demo record the server refused: which one and why."""


def write_all(connector: Connector, entity: str, requests_: Sequence[WriteRequest]) -> list[str]:
    """Write ``requests_`` in batches the connector accepts; their ids, or SeedError naming the record."""
    ids: list[str] = []
    size = connector.capabilities.max_batch_size
    for start in range(0, len(requests_), size):
        for result in connector.write_batch(entity, list(requests_[start : start + size])):
            if not result.ok or result.id is None:
                raise SeedError(f"{connector.name} refused demo {entity} {result.ref}: {result.error}")
            ids.append(result.id)
    return ids


def find_id(connector: Connector, entity: str, field: str, value: Any) -> str:
    """The id of the one record whose native ``field`` is ``value`` (a full read; demo sizes only)."""
    for page in connector.read_changes(entity, None):
        for record in page.records:
            if record.data.get(field) == value:
                return record.id
    raise SeedError(f"no {connector.name} {entity} with {field} = {value!r}; did its flow run?")


def seed_masters(erp: Connector, crm: Connector) -> dict[str, int]:
    """Customers and products in Tryton, CRM-only accounts in BottleCRM: what each side starts with."""
    creates = [WriteRequest("create", party["name"], party) for party in scenario.ERP_PARTIES]
    write_all(erp, "customer", creates)
    write_all(erp, "product", [WriteRequest("create", p["code"], p) for p in scenario.PRODUCTS])
    accounts = scenario.SUITECRM_ACCOUNTS if crm.name == "suitecrm" else scenario.CRM_ACCOUNTS
    write_all(crm, "customer", [WriteRequest("create", a["name"], a) for a in accounts])
    return {
        "erp customers": len(scenario.ERP_PARTIES),
        "erp products": len(scenario.PRODUCTS),
        "crm customers": len(accounts),
    }


def seed_sales(crm: Connector, instance: BottleCrmInstance | None) -> dict[str, str]:
    """The salesperson's work, on customers and products already synced into BottleCRM: an estimate
    the customer accepts on its public page, and a case (the complaint). SuiteCRM: see below."""
    if crm.name == "suitecrm":
        return seed_suitecrm_sales(crm)
    assert instance is not None, "BottleCRM's estimates are accepted on its public page: pass its instance"
    account = find_id(crm, "customer", "name", scenario.QUOTE_CUSTOMER)
    products = {row["sku"]: row for row in _all(crm, "product")}
    lines = [
        {
            "product": products[code]["id"],
            "name": products[code]["name"],
            "quantity": quantity,
            "unit_price": products[code]["price"],
        }
        for code, quantity in scenario.QUOTE_LINES
    ]
    quote = {"title": "Pumpenanlage / 泵系统", "account": account, "currency": "EUR", "line_items": lines}
    [quote_id] = write_all(crm, "quote", [WriteRequest("create", "demo quote", quote)])
    write_all(crm, "quote", [WriteRequest("update", "demo quote", {"status": "Sent"}, quote_id)])
    _accept(instance, quote_id)
    case = dict(scenario.COMPLAINT)
    case["account"] = find_id(crm, "customer", "name", case.pop("customer"))
    [case_id] = write_all(crm, "complaint", [WriteRequest("create", "demo complaint", case)])
    return {"quote": quote_id, "complaint": case_id}


def seed_suitecrm_sales(crm: Connector) -> dict[str, str]:
    """In SuiteCRM: a quote of synced products that the salesperson marks won ("Closed Accepted"),
    and a case (the complaint)."""
    account = find_id(crm, "customer", "name", scenario.QUOTE_CUSTOMER)
    products = {row["part_number"]: row for row in _all(crm, "product")}
    lines = [
        {
            "product_id": products[code]["id"],
            "name": products[code]["name"],
            "product_qty": quantity,
            "product_unit_price": products[code]["price"],
        }
        for code, quantity in scenario.QUOTE_LINES
    ]
    quote = {"name": "Pumpenanlage / 泵系统", "stage": "Negotiation", "billing_account_id": account,
             "expiration": "2099-12-31", "currency": scenario.SUITECRM_CURRENCY, "lines": lines}  # fmt: skip
    [quote_id] = write_all(crm, "quote", [WriteRequest("create", "demo quote", quote)])
    write_all(crm, "quote", [WriteRequest("update", "demo quote", {"stage": "Closed Accepted"}, quote_id)])
    case = dict(scenario.SUITECRM_COMPLAINT)
    case["account_id"] = find_id(crm, "customer", "name", case.pop("customer"))
    [case_id] = write_all(crm, "complaint", [WriteRequest("create", "demo complaint", case)])
    return {"quote": quote_id, "complaint": case_id}


def edit_both_sides(erp: Connector, crm: Connector) -> None:
    """The same customer renamed differently in each system since the last sync: a real conflict."""
    name = scenario.CONFLICT_CUSTOMER
    erp_id = find_id(erp, "customer", "name", name)
    crm_id = find_id(crm, "customer", "name", name)
    write_all(
        erp, "customer", [WriteRequest("update", name, {"name": scenario.CONFLICT_VALUES["erp"]}, erp_id)]
    )
    write_all(
        crm, "customer", [WriteRequest("update", name, {"name": scenario.CONFLICT_VALUES["crm"]}, crm_id)]
    )


def _all(connector: Connector, entity: str) -> list[dict[str, Any]]:
    return [{"id": r.id, **r.data} for page in connector.read_changes(entity, None) for r in page.records]


def _accept(instance: BottleCrmInstance, quote_id: str) -> None:
    """What the customer does: accept the estimate on its public page."""
    headers = {"Authorization": f"Bearer {instance.token}"}
    body = requests.get(f"{instance.url}/api/invoices/estimates/{quote_id}/", headers=headers, timeout=30)
    token = body.json()["estimate"]["public_token"]
    reply = requests.post(
        f"{instance.url}/api/public/estimate/{token}/accept/",
        json={"name": "王 伟", "email": "wang.wei@huaxin.cn"},
        timeout=30,
    )
    if reply.status_code != 200:
        raise SeedError(
            f"BottleCRM did not accept demo estimate {quote_id}: {reply.status_code} {reply.text[:300]}"
        )
