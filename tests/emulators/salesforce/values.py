"""Field-by-field checks of a write against the object's describe (RULES.md section 2).

Order of the checks follows what a save does: the body is parsed (unknown field, wrong JSON type),
field permissions apply (not createable / not updateable), then values (length, restricted
picklists, references) and last the required fields.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from .contract import FieldSpec, ObjectSpec
from .errors import ApiError, RecordError

if TYPE_CHECKING:
    from .org import Org

__all__ = ["ID_PATTERN", "check_write", "coerce"]

ID_PATTERN = re.compile(r"[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?")
_NUMBERS = {"double", "currency", "percent", "int"}


def coerce(spec: FieldSpec, value: Any, *, from_text: bool = False) -> Any:
    """A value of the field's type, as the API's parser reads it; ``from_text``: a Bulk CSV cell."""
    if value is None:
        return None
    kind = spec.type
    try:
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            raise ValueError
        if kind in _NUMBERS:
            if isinstance(value, bool):
                raise ValueError
            number = Decimal(str(value))
            if not number.is_finite():
                raise ValueError
            return int(number) if kind == "int" else float(number)
        if kind == "date":
            return date.fromisoformat(str(value)).isoformat()
        if kind == "datetime":
            datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            return str(value)
    except (ValueError, InvalidOperation):
        # A JSON value of the wrong type fails the whole request while the body is parsed.
        raise ApiError(
            400,
            "JSON_PARSER_ERROR",
            f"Cannot deserialize instance of {kind} from value {value!r} for field {spec.name}",
            [spec.name],
        ) from None
    if isinstance(value, dict | list):
        raise ApiError(
            400, "JSON_PARSER_ERROR", f"Cannot deserialize instance of {kind} from an object", [spec.name]
        )
    return value if not from_text else str(value)


def check_write(org: Org, obj: ObjectSpec, data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """The body as stored values; raises :class:`RecordError` for the first rule it breaks."""
    fields = obj.fields
    for name in data:
        if name not in fields:
            # M3: an unknown (or invisible) field.
            raise RecordError(
                "INVALID_FIELD", f"No such column '{name}' on sobject of type {obj.name}", [name]
            )
    values = {name: coerce(fields[name], value) for name, value in data.items()}
    # M2 (and M10, D3: autonumbers, IsDeleted and system fields are neither createable nor updateable).
    locked = [n for n in values if not (fields[n].createable if creating else fields[n].updateable)]
    if locked:
        raise RecordError(
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            f"Unable to create/update fields: {', '.join(locked)}. Please check the security settings of "
            "this field and verify that it is read/write for your profile or permission set.",
            locked,
        )
    for name, value in values.items():
        spec = fields[name]
        if value is None:
            continue
        if spec.length and isinstance(value, str) and len(value) > spec.length:
            # M5
            raise RecordError(
                "STRING_TOO_LONG",
                f"{spec.label}: data value too large: {value[:40]} (max length={spec.length})",
                [name],
            )
        if spec.type in ("picklist", "multipicklist") and spec.restricted and value not in spec.picklist:
            # M6 (dependent state codes are checked against their country in the rules)
            raise RecordError(
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                f"{spec.label}: bad value for restricted picklist field: {value}",
                [name],
            )
        if spec.type == "reference":
            org.check_reference(obj.name, spec, value)
    if creating:
        # M1: createable, not nillable, not defaulted (or documented as required) and absent.
        missing = [
            f.name for f in fields.values() if f.required_on_create and values.get(f.name) in (None, "")
        ]
    else:
        # M4: a non-nillable field set to null.
        missing = [n for n, v in values.items() if v in (None, "") and not fields[n].nillable]
    if missing:
        raise RecordError(
            "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", missing
        )
    return values
