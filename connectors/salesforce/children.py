"""Child records nested in a parent's native record: an Account's Contacts, a Product2's standard
price book entry, a Quote's line items. Read per parent; written by matching the list sent to the
existing children (update, create, delete the unmatched).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectors.base import Cursor, WriteRequest, WriteResult
from connectors.salesforce.batches import COLLECTION_SIZE, Outcome, delete_ids, send_records
from connectors.salesforce.soql import quote, stamp_after

if TYPE_CHECKING:
    from connectors.salesforce.connector import SalesforceConnector
    from connectors.salesforce.entity import SObjectEntity

__all__ = ["Child", "changed_parents", "read", "write"]


@dataclass(frozen=True)
class Child:
    key: str
    """Where the children sit in the native record."""
    sobject: str
    parent_field: str
    fields: tuple[str, ...]
    match: tuple[str, ...]
    """Fields that identify a child within its parent, tried in order (first with a value wins)."""
    many: bool = True
    priced: bool = False
    """Lines: each needs the ``PricebookEntryId`` of its product in the parent's price book and currency."""


Found = dict[tuple[str, str], list[dict[str, Any]]]


def _in(ids: list[str]) -> str:
    return f"({', '.join(quote(i) for i in ids)})"


def read(connector: SalesforceConnector, kinds: tuple[Child, ...], ids: list[str]) -> Found:
    found: Found = {}
    if not ids:
        return found
    schema = connector.schema
    for child in kinds:
        extra = ""
        if child.sobject == "PricebookEntry":
            extra = f" AND Pricebook2Id = {quote(connector.pricing.standard_book())}"
        fields = schema.existing(child.sobject, ["Id", child.parent_field, *child.fields])
        for start in range(0, len(ids), COLLECTION_SIZE):
            chunk = ids[start : start + COLLECTION_SIZE]
            soql = (
                f"SELECT {', '.join(fields)} FROM {child.sobject} WHERE {child.parent_field} IN {_in(chunk)}"
                f"{extra} ORDER BY Id"
            )
            for row in connector.client.query_all(f"reading {child.sobject}", soql):
                parent = row.pop(child.parent_field)
                if "CurrencyIsoCode" in child.fields and not schema.multi_currency:
                    row["CurrencyIsoCode"] = schema.org_currency()
                found.setdefault((child.key, parent), []).append(row)
    return found


def changed_parents(entity: SObjectEntity, since: Cursor, own: str | None) -> set[str]:
    """Parents whose children changed or were deleted (queryAll: the recycle bin too) after ``since``."""
    after = stamp_after(since, tie_break=False)
    found: set[str] = set()
    for child in entity.children:
        soql = (
            f"SELECT Id, {child.parent_field}, LastModifiedById FROM {child.sobject} "
            f"WHERE {after} ORDER BY SystemModstamp, Id"
        )
        for rows in entity.client.query_pages(
            f"reading changed {child.sobject} of {entity.name}", soql, include_deleted=True
        ):
            found.update(
                r[child.parent_field]
                for r in rows
                if r.get(child.parent_field) and (own is None or r.get("LastModifiedById") != own)
            )
    return found


def _key(child: Child, row: Mapping[str, Any]) -> str:
    for name in child.match:
        value = row.get(name)
        if value:
            return f"{name}:{str(value).lower()}"
    return f"row:{sorted(row.items())!r}"


def _line_context(entity: SObjectEntity, parents: list[str]) -> dict[str, dict[str, Any]]:
    """Each quote's price book and currency: its lines' entries must match both (Q4, P9)."""
    connector = entity.connector
    fields = connector.schema.existing(entity.native, ["Id", "Pricebook2Id", "CurrencyIsoCode"])
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(parents), COLLECTION_SIZE):
        chunk = parents[start : start + COLLECTION_SIZE]
        soql = f"SELECT {', '.join(fields)} FROM {entity.native} WHERE Id IN {_in(chunk)}"
        out.update(
            (r["Id"], r) for r in connector.client.query_all(f"reading {entity.native} price books", soql)
        )
    return out


def write(
    entity: SObjectEntity, written: list[tuple[int, WriteRequest]], results: dict[int, WriteResult]
) -> dict[int, WriteResult]:
    """Bring each written parent's children to the list sent; a failed child fails its parent's result."""
    failures: dict[int, str] = {}
    for child in entity.children:
        wanted = {results[i].id: (i, r) for i, r in written if child.key in r.data and results[i].id}
        if wanted:
            failures.update(_sync(entity, child, wanted))
    out: dict[int, WriteResult] = {}
    by_index = dict(written)
    for index, message in failures.items():
        request = by_index[index]
        transient = message.startswith("transient:")
        out[index] = WriteResult(
            request.ref,
            False,
            results[index].id,
            f"{entity.native} {results[index].id}: {message.removeprefix('transient:')}",
            field=next((c.key for c in entity.children), None),
            transient=transient,
        )
    return out


def _sync(
    entity: SObjectEntity, child: Child, wanted: dict[str | None, tuple[int, WriteRequest]]
) -> dict[int, str]:
    connector = entity.connector
    parents = [p for p in wanted if p]
    existing = read(connector, (child,), parents)
    schema = connector.schema
    creates: list[tuple[int, dict[str, Any]]] = []
    updates: list[tuple[int, dict[str, Any]]] = []
    deletes: list[tuple[int, str]] = []
    failures: dict[int, str] = {}
    context = _line_context(entity, parents) if child.priced else {}
    prices: dict[tuple[str, str | None], dict[str, dict[str, object]]] = {}
    for parent, (index, request) in wanted.items():
        assert parent is not None
        new = request.data.get(child.key)
        items = new if isinstance(new, list) else ([new] if new else [])
        current = {_key(child, c): c for c in existing.get((child.key, parent), [])}
        if child.sobject == "PricebookEntry":
            currency = connector.currency_of(request.data.get(child.key) or request.data)
            same = [c for c in current.values() if c.get("CurrencyIsoCode", currency) == currency]
            current = {"entry": same[0]} if same else {}
        for item in items:
            row = {k: v for k, v in item.items() if k in child.fields and schema.has(child.sobject, k)}
            if child.priced:
                book = context[parent].get("Pricebook2Id")
                currency = connector.currency_of(context[parent])
                if (book, currency) not in prices:
                    products = {
                        str(i.get("Product2Id"))
                        for _, r in wanted.values()
                        for i in r.data.get(child.key) or []
                    }
                    prices[(book, currency)] = connector.pricing.entries(str(book), currency, products)
                entry = prices[(book, currency)].get(str(row.get("Product2Id")))
                if entry is None or not entry.get("IsActive"):
                    failures[index] = (
                        f"transient:{child.sobject}: product {row.get('Product2Id')} has no active price in "
                        f"{currency} in the {entity.native}'s price book; fix: sync the product "
                        "(products flow) first"
                    )
                    continue
                row["PricebookEntryId"] = entry["Id"]
            match = current.pop("entry" if child.sobject == "PricebookEntry" else _key(child, row), None)
            if match is not None:
                # Create-only fields (P4, Q5, R6) are never sent on update.
                for key in ("PricebookEntryId", "Product2Id", "CurrencyIsoCode", "Pricebook2Id"):
                    row.pop(key, None)
                if any(match.get(k) != v for k, v in row.items()):
                    updates.append((index, {"Id": match["Id"], **row}))
            else:
                if child.priced:
                    row.pop("Product2Id", None)
                    row[child.parent_field] = parent
                elif child.sobject == "PricebookEntry":
                    row.update(Pricebook2Id=connector.pricing.standard_book(), Product2Id=parent)
                    row.setdefault("IsActive", True)
                    if not schema.multi_currency:
                        row.pop("CurrencyIsoCode", None)
                else:
                    row[child.parent_field] = parent
                creates.append((index, row))
        if child.many:
            deletes.extend((index, c["Id"]) for c in current.values())
    for verb, method, batch in (("creating", "POST", creates), ("updating", "PATCH", updates)):
        outcomes = send_records(
            connector.client,
            f"{verb} {child.sobject}",
            "composite/sobjects",
            method,
            child.sobject,
            [row for _, row in batch],
        )
        _note(failures, [i for i, _ in batch], outcomes, child)
    outcomes = delete_ids(connector.client, f"deleting {child.sobject}", [i for _, i in deletes])
    _note(failures, [i for i, _ in deletes], outcomes, child)
    return failures


def _note(failures: dict[int, str], indexes: list[int], outcomes: list[Outcome], child: Child) -> None:
    for index, outcome in zip(indexes, outcomes, strict=True):
        if not outcome.ok:
            prefix = "transient:" if outcome.transient else ""
            failures.setdefault(
                index,
                f"{prefix}its {child.key} were not all written: {outcome.describe()}; fix the child data",
            )
