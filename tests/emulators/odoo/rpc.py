"""Calling a model method from the wire: ``execute_kw`` (XML-RPC, JSON-RPC) and JSON-2.

``execute_kw(db, uid, password, model, method, args, kwargs)``: record methods take their ids as the
first positional argument, ``@api.model`` methods none, ``create`` its values as the first
positional argument (Odoo's ``call_kw`` reads ``args[0]``); the context travels as the ``context``
keyword. An unknown model is a ``UserError``; a ``_``-prefixed method an ``AccessError``; an unknown
method an ``AttributeError`` (fault 1).

JSON-2 (19+): every parameter by name, ``ids`` and ``context`` beside them; the signature is
checked before the call (422), ``ids`` for an ``@api.model`` method is a 422, an unknown model or
method a 404; a private method raises ``AccessError`` (403), as ``get_public_method`` does.
"""

from __future__ import annotations

import inspect
from typing import Any

from tests.emulators.odoo.exceptions import AccessError, NotFound, UnprocessableEntity, UserError
from tests.emulators.odoo.orm import BaseModel, Environment, get_api

__all__ = ["call_json2", "call_kw", "to_wire"]


def _public_method(env: Environment, model: BaseModel, name: str) -> Any:
    if not isinstance(name, str) or name.startswith("_"):
        if env.registry.version >= 19:
            raise AccessError(f"Private methods (such as '{model._name}.{name}') cannot be called remotely.")
        raise AccessError(f"Private methods (such as {name}) cannot be called remotely.")
    method = getattr(type(model), name, None)
    if not callable(method) or isinstance(inspect.getattr_static(type(model), name, None), property):
        if env.registry.version >= 19:
            raise AttributeError(f"The method '{model._name}.{name}' does not exist")
        raise AttributeError(f"The method '{name}' does not exist on the model '{model._name}'")
    return method


def to_wire(value: Any) -> Any:
    """Recordsets become id lists, tuples lists; empty values are ``False`` (Odoo never sends null)."""
    if isinstance(value, BaseModel):
        return list(value.ids)
    if isinstance(value, dict):
        return {str(k): to_wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_wire(v) for v in value]
    if value is None:
        return False
    return value


def call_kw(env: Environment, model_name: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    if not isinstance(model_name, str) or model_name not in env:
        raise UserError(f"Object {model_name} doesn't exist")
    kwargs = dict(kwargs or {})
    context = kwargs.pop("context", None) or {}
    if not isinstance(context, dict):
        raise TypeError(f"context must be a dict, not {type(context).__name__}")
    env = env.with_context(**context)
    model = env[model_name]
    func = _public_method(env, model, method)
    api = get_api(type(model), method)
    args = list(args or [])
    if api == "model":
        result = func(model, *args, **kwargs)
    elif api == "model_create":
        first = args[0]
        result = func(model, *args, **kwargs)
        result = result.ids[0] if isinstance(first, dict) else result.ids
    else:
        ids, rest = args[0], args[1:]
        result = func(model._browse(ids), *rest, **kwargs)
    return to_wire(result)


def call_json2(env: Environment, model_name: str, method: str, body: dict[str, Any]) -> Any:
    if model_name not in env:
        raise NotFound(f"the model {model_name!r} does not exist")
    params = dict(body)
    ids = params.pop("ids", None) or []
    context = params.pop("context", None) or {}
    env = env.with_context(**context)
    model = env[model_name]
    try:
        func = _public_method(env, model, method)
    except AttributeError as exc:
        raise NotFound(str(exc.args[0])) from exc
    if get_api(type(model), method) and ids:
        raise UnprocessableEntity(f"cannot call {model_name}.{method} with ids")
    records = model._browse(ids)
    try:
        inspect.signature(func).bind(records, **params)
    except TypeError as exc:
        raise UnprocessableEntity(str(exc.args[0])) from exc
    return to_wire(func(records, **params))
