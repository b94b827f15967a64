"""The behaviour rules of RULES.md that the metadata flags alone do not say, per object.

Each refusal names its rule (``P5``, ``R4``...). Where RULES.md marks an error code as not
documented ([inf]), the code chosen is the one it names as the likely one; when unsure we refuse.
Hooks: ``before_check`` sees the raw body (rules that decide what is required), ``before_insert`` /
``before_update`` the checked values and the stored record, ``after_write`` / ``after_delete``
keep derived values (roll-ups, line totals) as the platform does.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .errors import RecordError
from .shape import ADDRESS_PREFIXES, countries, states

if TYPE_CHECKING:
    from .org import Org

__all__ = [
    "AUTONUMBERS",
    "CASCADES",
    "after_delete",
    "after_write",
    "before_check",
    "before_delete",
    "before_insert",
    "before_update",
]

Record = dict[str, Any]
AUTONUMBERS = {
    "Quote": ("QuoteNumber",),
    "Order": ("OrderNumber",),
    "OrderItem": ("OrderItemNumber",),
    "QuoteLineItem": ("LineNumber",),
    "Case": ("CaseNumber",),
}
# childRelationships with cascadeDelete (P8, Q6, R8, O4, and an Account's contacts, opportunities, cases).
CASCADES: dict[str, tuple[tuple[str, str], ...]] = {
    "Account": (("Contact", "AccountId"), ("Opportunity", "AccountId"), ("Case", "AccountId")),
    "Opportunity": (("Quote", "OpportunityId"), ("OpportunityLineItem", "OpportunityId")),
    "Quote": (("QuoteLineItem", "QuoteId"),),
    "Order": (("OrderItem", "OrderId"),),
    "Product2": (("PricebookEntry", "Product2Id"),),
    "Pricebook2": (("PricebookEntry", "Pricebook2Id"),),
}
LOCKED_ORDER = (
    "Unable to modify activated or superseded Order: cannot delete Order, or add or remove Order Products"
)


def _integrity(message: str, fields: list[str]) -> RecordError:
    return RecordError("FIELD_INTEGRITY_EXCEPTION", f"field integrity exception: {message}", fields)


def _dec(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


def _money(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01")))


# -- before the field checks -------------------------------------------------------------------------
def before_check(org: Org, name: str, body: Record, current: Record | None) -> None:
    if org.shape.state_country_picklists:
        _addresses(org, name, body, current)
    check = _BEFORE_CHECK.get(name)
    if check is not None:
        check(org, body, current)


def _addresses(org: Org, name: str, body: Record, current: Record | None) -> None:
    """State/Country picklists: codes are the picklist, text fields must be an integration value."""
    fields = org.schema[name].fields
    by_name = {v: k for k, v in countries().items()}
    for prefix in ADDRESS_PREFIXES:
        if f"{prefix}CountryCode" not in fields:
            continue
        code_key, text_key = f"{prefix}CountryCode", f"{prefix}Country"
        state_key, state_text = f"{prefix}StateCode", f"{prefix}State"
        if text_key in body and body[text_key] is not None:
            code = by_name.get(str(body[text_key]))
            if code is None or (body.get(code_key) not in (None, code)):
                raise _bad_address("country/territory", "countries", text_key)
            body[code_key] = code
        elif code_key in body:
            body[text_key] = countries().get(str(body[code_key])) if body[code_key] else None
        country = body.get(code_key, (current or {}).get(code_key))
        known = states(str(country)) if country else {}
        if state_text in body and body[state_text] is not None:
            state = {v: k for k, v in known.items()}.get(str(body[state_text]))
            if state is None or body.get(state_key) not in (None, state):
                raise _bad_address("state", "states", state_text)
            body[state_key] = state
        elif state_key in body:
            if body[state_key] is not None and body[state_key] not in known:
                # A dependent picklist: the state must belong to the country (on only for STATE_COUNTRIES).
                raise _bad_address("state", "states", state_key)
            body[state_text] = known.get(str(body[state_key])) if body[state_key] else None


def _bad_address(what: str, plural: str, field: str) -> RecordError:
    return RecordError(
        "FIELD_INTEGRITY_EXCEPTION",
        f"There's a problem with this {what}, even though it may appear correct. Please select a {what} "
        f"from the list of valid {plural}.",
        [field],
    )


PERSON_ONLY = ("FirstName", "LastName", "Salutation", "PersonEmail", "PersonTitle", "PersonMobilePhone")


def _account(org: Org, body: Record, current: Record | None) -> None:
    if not org.shape.person_accounts:
        return
    record_type = body.get("RecordTypeId") or (current or {}).get("RecordTypeId") or _default_record_type(org)
    person = _is_person_type(org, record_type)
    if current is None:
        body.setdefault("RecordTypeId", record_type)
    if person:
        # A person account's name is its person's: FirstName + LastName [inf: the compound Name].
        if "Name" in body:
            raise RecordError(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                "Unable to create/update fields: Name. A person account's name comes from FirstName and "
                "LastName.",
                ["Name"],
            )
        if current is None and not body.get("LastName"):
            raise RecordError(
                "REQUIRED_FIELD_MISSING", "Required fields are missing: [LastName]", ["LastName"]
            )
    else:
        person_fields = [k for k in body if k in PERSON_ONLY or k.startswith("Person")]
        if person_fields:
            raise RecordError(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                f"Unable to create/update fields: {', '.join(person_fields)}. Business accounts have no "
                "person fields.",
                person_fields,
            )
        if current is None and not body.get("Name"):
            # The Person Account describe marks Name nillable; a business account still needs one.
            raise RecordError("REQUIRED_FIELD_MISSING", "Required fields are missing: [Name]", ["Name"])


def _default_record_type(org: Org) -> str | None:
    for rid, info in org.record_types.items():
        if info.get("defaultRecordTypeMapping"):
            return rid
    return None


def _is_person_type(org: Org, record_type: Any) -> bool:
    info = org.record_types.get(str(record_type)) if record_type else None
    return bool(info) and str(info.get("developerName")) == "PersonAccount"


def _contact(org: Org, body: Record, current: Record | None) -> None:
    account = org.records["Account"].get(str(body.get("AccountId")))
    if account is not None and account.get("IsPersonAccount"):
        raise _integrity("AccountId: a contact cannot be added to a person account", ["AccountId"])


def _pricebook_entry(org: Org, body: Record, current: Record | None) -> None:
    standard = current.get("UseStandardPrice") if current else body.get("UseStandardPrice")
    if standard and "UnitPrice" in body:
        # P7: the price mirrors the standard entry's.
        raise _integrity("UnitPrice: cannot set a unit price when UseStandardPrice is true", ["UnitPrice"])
    if current is None and body.get("UseStandardPrice"):
        entry = _standard_entry(org, body.get("Product2Id"), body.get("CurrencyIsoCode"))
        if entry is None:
            raise _no_standard_price()
        body["UnitPrice"] = entry["UnitPrice"]


def _opportunity_line(org: Org, body: Record, current: Record | None) -> None:
    if current is not None:
        if "UnitPrice" in body and "TotalPrice" in body:
            raise RecordError(
                "INVALID_FIELD", "Cannot change both 'UnitPrice' and 'TotalPrice' in update call"
            )
        return
    if not body.get("PricebookEntryId"):
        # O1
        raise _integrity(
            "PricebookEntryId, unknown (versions 3.0 and higher must specify pricebook entry id; others must "
            "specify product id)",
            ["PricebookEntryId"],
        )
    if body.get("UnitPrice") is not None and body.get("TotalPrice") is not None:
        raise _integrity("TotalPrice (cannot specify both unit price and total price)", ["TotalPrice"])


_BEFORE_CHECK: dict[str, Callable[[Org, Record, Record | None], None]] = {
    "Account": _account,
    "Contact": _contact,
    "PricebookEntry": _pricebook_entry,
    "OpportunityLineItem": _opportunity_line,
}


# -- inserts --------------------------------------------------------------------------------------------
def before_insert(org: Org, name: str, record: Record, values: Record) -> None:
    rule = _BEFORE_INSERT.get(name)
    if rule is not None:
        rule(org, record, values)


def _new_account(org: Org, record: Record, values: Record) -> None:
    if "IsPersonAccount" in record:
        record["IsPersonAccount"] = _is_person_type(org, record.get("RecordTypeId"))
        if record["IsPersonAccount"]:
            record["Name"] = " ".join(p for p in (record.get("FirstName"), record.get("LastName")) if p)


def _new_quote(org: Org, record: Record, values: Record) -> None:
    opportunity = org.records["Opportunity"][record["OpportunityId"]]
    # Q2: the account comes from the opportunity; Q6/P9: so does the currency.
    record["AccountId"] = opportunity.get("AccountId")
    if "CurrencyIsoCode" in record:
        record["CurrencyIsoCode"] = opportunity.get("CurrencyIsoCode")
    if not record.get("Pricebook2Id"):
        record["Pricebook2Id"] = opportunity.get("Pricebook2Id")
    for key in ("Subtotal", "TotalPrice", "GrandTotal", "Discount"):
        record[key] = 0.0
    record["LineItemCount"] = 0


def _entry_for_line(org: Org, parent: Record, parent_name: str, values: Record, record: Record) -> Record:
    """Q4, R5, O2, P9: a line's entry is active, in its parent's price book and currency."""
    entry = org.records["PricebookEntry"][values["PricebookEntryId"]]
    if not parent.get("Pricebook2Id"):
        raise _integrity(
            f"PricebookEntryId: the {parent_name} has no price book; set its Pricebook2Id first",
            ["PricebookEntryId"],
        )
    if entry["Pricebook2Id"] != parent["Pricebook2Id"]:
        raise _integrity(
            f"PricebookEntryId (pricebook entry is in a different pricebook than the {parent_name})",
            ["PricebookEntryId"],
        )
    if not entry.get("IsActive"):
        raise _integrity("PricebookEntryId (pricebook entry is inactive)", ["PricebookEntryId"])
    if "CurrencyIsoCode" in entry and entry.get("CurrencyIsoCode") != parent.get("CurrencyIsoCode"):
        raise _integrity(
            f"PricebookEntryId (pricebook entry currency code does not match {parent_name} currency code)",
            ["PricebookEntryId"],
        )
    given = values.get("Product2Id")
    if given is not None and given != entry["Product2Id"]:
        raise _integrity("Product2Id (the product is not the price book entry's)", ["Product2Id"])
    record["Product2Id"] = entry["Product2Id"]
    if "CurrencyIsoCode" in record:
        record["CurrencyIsoCode"] = parent.get("CurrencyIsoCode")
    if "ListPrice" in record and record.get("ListPrice") is None:
        record["ListPrice"] = entry["UnitPrice"]
    return entry


def _new_quote_line(org: Org, record: Record, values: Record) -> None:
    quote = org.records["Quote"][values["QuoteId"]]
    _entry_for_line(org, quote, "quote", values, record)
    discount = values.get("Discount")
    if discount is not None and not 0 <= float(discount) <= 100:
        raise RecordError(
            "NUMBER_OUTSIDE_VALID_RANGE", "Discount: value outside of valid range", ["Discount"]
        )


def _new_order(org: Org, record: Record, values: Record) -> None:
    if values.get("Status") != "Draft":
        # R1: an order starts in the Draft category; activation is a later update (R3).
        raise _integrity("Status: an order must be created with a Draft status, then activated", ["Status"])
    record["StatusCode"] = "Draft"
    record["TotalAmount"] = 0.0


def _new_order_item(org: Org, record: Record, values: Record) -> None:
    order = org.records["Order"][values["OrderId"]]
    if order.get("StatusCode") != "Draft":
        raise RecordError("ENTITY_IS_LOCKED", LOCKED_ORDER, [])  # R4
    _entry_for_line(org, order, "order", values, record)
    line = values.get("QuoteLineItemId")
    if line is not None and org.records["QuoteLineItem"][line].get("QuoteId") != order.get("QuoteId"):
        raise _integrity("QuoteLineItemId (the quote line is not of the order's quote)", ["QuoteLineItemId"])


def _new_entry(org: Org, record: Record, values: Record) -> None:
    product = org.records["Product2"][record["Product2Id"]]
    currency = record.get("CurrencyIsoCode")
    if (
        record["Pricebook2Id"] != org.standard_pricebook
        and _standard_entry(org, product["Id"], currency) is None
    ):
        raise _no_standard_price()  # P5
    for other in org.records["PricebookEntry"].values():
        if (other["Pricebook2Id"], other["Product2Id"], other.get("CurrencyIsoCode")) == (
            record["Pricebook2Id"],
            record["Product2Id"],
            currency,
        ):
            raise RecordError(  # P6
                "DUPLICATE_VALUE", "This price definition already exists in this price book", []
            )
    record["Name"] = product.get("Name")
    record["ProductCode"] = product.get("ProductCode")


def _new_opportunity_line(org: Org, record: Record, values: Record) -> None:
    opportunity = org.records["Opportunity"][values["OpportunityId"]]
    entry = org.records["PricebookEntry"][values["PricebookEntryId"]]
    if not opportunity.get("Pricebook2Id"):
        # O2: the first line sets the opportunity's price book.
        if not org.records["Pricebook2"][entry["Pricebook2Id"]].get("IsActive"):
            raise _integrity("PricebookEntryId (the price book is inactive)", ["PricebookEntryId"])
        opportunity["Pricebook2Id"] = entry["Pricebook2Id"]
    _entry_for_line(org, opportunity, "opportunity", values, record)
    if record.get("UnitPrice") is None and record.get("TotalPrice") is None:
        raise RecordError("REQUIRED_FIELD_MISSING", "Required fields are missing: [UnitPrice]", ["UnitPrice"])
    if record.get("UnitPrice") is None:
        record["UnitPrice"] = float(_dec(record["TotalPrice"]) / _dec(record["Quantity"]))


def _standard_entry(org: Org, product: Any, currency: Any) -> Record | None:
    currency = currency or (org.shape.corporate_currency if org.shape.multi_currency else None)
    for entry in org.records["PricebookEntry"].values():
        if (
            entry["Pricebook2Id"] == org.standard_pricebook
            and entry["Product2Id"] == product
            and entry.get("CurrencyIsoCode") == currency
        ):
            return entry
    return None


def _no_standard_price() -> RecordError:
    return RecordError("STANDARD_PRICE_NOT_DEFINED", "No standard price defined for this product", [])


_BEFORE_INSERT: dict[str, Callable[[Org, Record, Record], None]] = {
    "Account": _new_account,
    "Quote": _new_quote,
    "QuoteLineItem": _new_quote_line,
    "Order": _new_order,
    "OrderItem": _new_order_item,
    "PricebookEntry": _new_entry,
    "OpportunityLineItem": _new_opportunity_line,
}


# -- updates --------------------------------------------------------------------------------------------
def before_update(org: Org, name: str, record: Record, values: Record) -> None:
    rule = _BEFORE_UPDATE.get(name)
    if rule is not None:
        rule(org, record, values)


def _changed(record: Record, values: Record) -> list[str]:
    return [k for k, v in values.items() if record.get(k) != v]


def _lines_of(org: Org, child: str, parent_field: str, parent_id: str) -> list[Record]:
    return [r for r in org.records[child].values() if r.get(parent_field) == parent_id]


def _keep_book_while_lines(org: Org, record: Record, values: Record, child: str, parent_field: str) -> None:
    """O2 (and Q4, R5 by analogy): price book and currency are fixed while lines exist."""
    moved = [k for k in ("Pricebook2Id", "CurrencyIsoCode") if k in _changed(record, values)]
    if moved and _lines_of(org, child, parent_field, record["Id"]):
        raise _integrity(f"{moved[0]}: cannot be changed while the record has line items", moved)


def _update_order(org: Org, record: Record, values: Record) -> None:
    changed = _changed(record, values)
    status = values.get("Status", record.get("Status"))
    if "Status" in changed and status == "Activated":
        others = [k for k in changed if k != "Status"]
        if others:
            # R3: the activating update changes Status alone.
            raise _integrity(
                f"Status: activate an order in an update that changes only Status (also: {others})",
                ["Status"],
            )
        if not _lines_of(org, "OrderItem", "OrderId", record["Id"]):
            raise _integrity("Status: an order must include at least one product to be activated", ["Status"])
    if record.get("StatusCode") != "Draft":
        moved = [k for k in ("AccountId", "ContractId", "Pricebook2Id", "CurrencyIsoCode") if k in changed]
        if moved:
            raise _integrity(f"{moved[0]}: can be changed only while the order is Draft", moved)  # R2
    _keep_book_while_lines(org, record, values, "OrderItem", "OrderId")
    if "Status" in values:
        record["StatusCode"] = "Activated" if status == "Activated" else "Draft"
        if status == "Activated" and "ActivatedDate" in record:
            from .org import sf_timestamp

            record["ActivatedDate"] = sf_timestamp(org.clock())


def _update_quote(org: Org, record: Record, values: Record) -> None:
    _keep_book_while_lines(org, record, values, "QuoteLineItem", "QuoteId")


def _update_opportunity(org: Org, record: Record, values: Record) -> None:
    _keep_book_while_lines(org, record, values, "OpportunityLineItem", "OpportunityId")


def _update_quote_line(org: Org, record: Record, values: Record) -> None:
    discount = values.get("Discount")
    if discount is not None and not 0 <= float(discount) <= 100:
        raise RecordError(
            "NUMBER_OUTSIDE_VALID_RANGE", "Discount: value outside of valid range", ["Discount"]
        )


_BEFORE_UPDATE: dict[str, Callable[[Org, Record, Record], None]] = {
    "Order": _update_order,
    "Quote": _update_quote,
    "Opportunity": _update_opportunity,
    "QuoteLineItem": _update_quote_line,
}


# -- derived values ------------------------------------------------------------------------------------
def after_write(org: Org, name: str, record: Record, user: str | None) -> None:
    _derive_line(name, record)
    _roll_up(org, name, record)


def _derive_line(name: str, record: Record) -> None:
    if name not in ("QuoteLineItem", "OrderItem", "OpportunityLineItem"):
        return
    subtotal = _dec(record.get("Quantity")) * _dec(record.get("UnitPrice"))
    if name == "QuoteLineItem":
        record["Subtotal"] = _money(subtotal)
        subtotal = subtotal * (1 - _dec(record.get("Discount")) / 100)
    record["TotalPrice"] = _money(subtotal)


_PARENTS = {
    "QuoteLineItem": ("Quote", "QuoteId"),
    "OrderItem": ("Order", "OrderId"),
    "OpportunityLineItem": ("Opportunity", "OpportunityId"),
}


def _roll_up(org: Org, name: str, record: Record) -> None:
    if name not in _PARENTS:
        return
    parent_name, key = _PARENTS[name]
    parent = org.records[parent_name].get(str(record.get(key)))
    if parent is None:
        return
    lines = _lines_of(org, name, key, parent["Id"])
    total = sum((_dec(r.get("TotalPrice")) for r in lines), Decimal(0))
    if parent_name == "Quote":
        subtotal = sum((_dec(r.get("Subtotal")) for r in lines), Decimal(0))
        parent.update(
            Subtotal=_money(subtotal),
            TotalPrice=_money(total),
            GrandTotal=_money(total + _dec(parent.get("Tax")) + _dec(parent.get("ShippingHandling"))),
            LineItemCount=len(lines),
        )
    elif parent_name == "Order":
        parent["TotalAmount"] = _money(total)
    else:
        parent.update(Amount=_money(total), HasOpportunityLineItem=bool(lines))  # O4
    org.touch(parent_name, parent["Id"])


# -- deletes --------------------------------------------------------------------------------------------
def before_delete(org: Org, name: str, record: Record) -> None:
    if name == "Order" and record.get("StatusCode") != "Draft":
        raise RecordError("ENTITY_IS_LOCKED", LOCKED_ORDER, [])  # R4
    if name == "OrderItem":
        order = org.records["Order"].get(str(record.get("OrderId")))
        if order is not None and order.get("StatusCode") != "Draft":
            raise RecordError("ENTITY_IS_LOCKED", LOCKED_ORDER, [])  # R4
    if name == "Account" and _lines_of(org, "Order", "AccountId", record["Id"]):
        # R8: Account -> Order is restrictedDelete.
        raise RecordError(
            "DELETE_FAILED",
            "Your attempt to delete this account could not be completed because it is associated with orders",
            [],
        )
    if name == "Product2" and _lines_of(org, "OpportunityLineItem", "Product2Id", record["Id"]):
        raise RecordError(
            "DELETE_FAILED", "This product is used by opportunity products; archive it instead", []
        )  # P2
    if name == "Pricebook2" and record.get("IsStandard"):
        raise RecordError("DELETE_FAILED", "The standard price book cannot be deleted", [])  # P3


def after_delete(org: Org, name: str, record: Record, user: str | None) -> None:
    _roll_up(org, name, record)
