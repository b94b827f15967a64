"""What the canonical model allows at a field path: the questions a mapping check asks of pydantic."""

from __future__ import annotations

from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from sync_engine.model import Money, bare_annotation


def submodel(annotation: Any) -> type[BaseModel] | None:
    inner = bare_annotation(annotation)
    return inner if isinstance(inner, type) and issubclass(inner, BaseModel) else None


def list_item_model(annotation: Any) -> type[BaseModel] | None:
    inner = bare_annotation(annotation)
    if get_origin(inner) is list:
        return submodel(get_args(inner)[0])
    return None


def literal_values(annotation: Any) -> tuple[Any, ...] | None:
    inner = bare_annotation(annotation)
    return get_args(inner) if get_origin(inner) is Literal else None


def is_money(annotation: Any) -> bool:
    return submodel(annotation) is Money


def resolve(model: type[BaseModel], target: str) -> tuple[Any, str | None]:
    """The annotation at a dotted ``target``, or ``(None, reason)`` naming the part that does not exist."""
    current: type[BaseModel] | None = model
    annotation: Any = None
    walked: list[str] = []
    for part in target.split("."):
        if current is None:
            prefix = ".".join(walked)
            if list_item_model(annotation) is not None:
                return None, f"{prefix!r} is a list; map its items with `items:` under {prefix!r}"
            return None, f"{prefix!r} has no parts"
        info = current.model_fields.get(part)
        if info is None:
            known = ", ".join(current.model_fields)
            where = f"{current.__name__}" if not walked else f"{'.'.join(walked)} ({current.__name__})"
            return None, f"{where} has no field {part!r} (fields: {known})"
        annotation = info.annotation
        walked.append(part)
        current = submodel(annotation)
    return annotation, None


def required_fields(model: type[BaseModel]) -> list[str]:
    return [name for name, info in model.model_fields.items() if info.is_required()]
