"""The ``synchub.yaml`` configuration: systems, flows and where SyncHub keeps its state.

:func:`load_config` reads the file, validates it with pydantic, then checks what types cannot
(references between flows and systems, field names of the entity, cron syntax, installed
connectors). It reports *every* problem at once as ``file:line: message (hint: ...)``, because a
user fixing a config file one error per run soon stops trusting the tool.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from connectors.base import available_connectors, load_connector
from sync_engine.model import ENTITIES, bare_annotation
from sync_engine.problems import Problem
from sync_engine.yaml_source import YamlSource, YamlSyntaxError, load_yaml

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG_NAME",
    "Config",
    "ConfigError",
    "FlowConfig",
    "StateConfig",
    "SystemConfig",
    "find_config",
    "load_config",
]

CONFIG_ENV = "SYNCHUB_CONFIG"
DEFAULT_CONFIG_NAME = "synchub.yaml"
SHIPPED_MAPPINGS_DIR = Path(__file__).resolve().parent.parent / "mappings"
"""The ``mappings/`` folder of the source tree, used when the config's folder has none."""

CRON_PRESETS = ("@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly", "@annually", "@midnight")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class StateConfig(_Strict):
    """Where SyncHub keeps links, cursors, conflicts and runs (a SQLAlchemy URL)."""

    url: str = "sqlite:///synchub-state.db"
    """A relative SQLite path is resolved against the config file's folder by :func:`load_config`."""
    schema_: str | None = Field(default=None, alias="schema")
    """PostgreSQL schema for SyncHub's tables (lets it share the Airflow database server)."""


class SystemConfig(_Strict):
    """One configured application instance: which connector speaks to it and how to reach it."""

    connector: str
    connection: str | None = None
    """Airflow Connection id; on the command line the env variable ``SYNCHUB_CONN_<ID>`` (a URI)."""
    options: dict[str, Any] = Field(default_factory=dict)
    max_concurrency: int = Field(default=4, ge=1, le=64)
    """Write calls in flight to this system at once (for connectors that allow concurrent writes);
    under Airflow, the system's pool size is the ceiling too."""


MatchRule = list[str]


MASTER_ENTITIES = frozenset({"customer", "product"})
"""ERP master data: a delete on one side deactivates it on the other by default (``deletes: archive``)."""

RECONCILE_PRESETS = {
    "always": timedelta(0),
    "hourly": timedelta(hours=1),
    "daily": timedelta(days=1),
    "weekly": timedelta(weeks=1),
}
_INTERVAL = re.compile(r"^(\d+)\s*([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def reconcile_interval(value: str) -> timedelta | None:
    """``reconcile_deletes`` as an interval: None for ``never``; raises ValueError for bad text."""
    if value == "never":
        return None
    if value in RECONCILE_PRESETS:
        return RECONCILE_PRESETS[value]
    found = _INTERVAL.match(value.strip())
    if found is None or int(found.group(1)) == 0:
        raise ValueError(
            f"{value!r} is not an interval; use always, hourly, daily, weekly, never, or e.g. 6h, 30m, 2d"
        )
    return timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})


class FlowConfig(_Strict):
    """One entity synced between two systems."""

    name: str
    """The flow's key in ``flows:`` (filled in by :func:`load_config`, not written by users)."""
    entity: Literal["customer", "product", "quote", "sales_order", "product_cost", "complaint"]
    erp: str
    crm: str
    direction: Literal["both", "erp_to_crm", "crm_to_erp"] = "both"
    schedule: str | None = None
    """Cron (5 fields) or an @preset; ``None`` = run manually only."""
    match_keys: list[MatchRule] = Field(default_factory=list)
    """Natural-key rules tried in order; each rule is a list of fields that must all be equal."""
    field_owners: dict[str, Literal["erp", "crm"]] = Field(default_factory=dict)
    conflict_policy: Literal["manual", "newest", "erp", "crm"] = "manual"
    deletes: Literal["propagate", "archive", "ignore"] | None = None
    """What a delete on one side does on the other: ``propagate`` deletes it there, ``archive``
    deactivates it (``active: false``), ``ignore`` leaves it. Default: archive for ERP master data
    (customers, products), propagate for the rest."""
    reconcile_deletes: str = "daily"
    """How often systems that leave no trace of deletions (and are read through a cursor) get every id
    compared with the links to find them: always, hourly, daily, weekly, never, or e.g. ``6h``."""
    overlap_seconds: int = Field(default=120, ge=0)
    batch_size: int = Field(default=200, ge=1, le=10_000)
    page_size: int = Field(default=500, ge=1, le=10_000)
    depends_on: list[str] = Field(default_factory=list)
    enabled: bool = True

    @field_validator("match_keys", mode="before")
    @classmethod
    def _bare_strings_are_one_field_rules(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [[value]]
        if isinstance(value, list):
            return [[item] if isinstance(item, str) else item for item in value]
        return value

    @field_validator("depends_on", mode="before")
    @classmethod
    def _bare_string_is_one_dependency(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("reconcile_deletes", mode="before")
    @classmethod
    def _reconcile_is_an_interval(cls, value: Any) -> Any:
        if isinstance(value, str):
            reconcile_interval(value)
        return value

    @model_validator(mode="after")
    def _default_deletes(self) -> FlowConfig:
        if self.deletes is None:
            self.deletes = "archive" if self.entity in MASTER_ENTITIES else "propagate"
        return self

    @property
    def reconcile_every(self) -> timedelta | None:
        """``reconcile_deletes`` as an interval (None: never)."""
        return reconcile_interval(self.reconcile_deletes)


class Config(_Strict):
    """A validated ``synchub.yaml``."""

    version: Literal[1]
    state: StateConfig = Field(default_factory=StateConfig)
    mappings_dir: Path
    """Absolute: resolved against the config file's folder."""
    systems: dict[str, SystemConfig]
    flows: dict[str, FlowConfig] = Field(default_factory=dict)
    path: Path
    """The config file this was read from (absolute)."""


class ConfigError(Exception):
    """The config file has problems; ``problems`` lists every one of them."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


# Keys load_config fills in itself (Config.path, FlowConfig.name); a user writing them gets "unknown key".
_RESERVED = frozenset({"path", "name"})


def find_config(explicit: Path | None = None) -> Path:
    """The config file to use: ``--config``, else ``$SYNCHUB_CONFIG``, else ``./synchub.yaml``."""
    if explicit is not None:
        return Path(explicit)
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env)
    return Path(DEFAULT_CONFIG_NAME)


def load_config(path: Path | str) -> Config:
    """Read and validate a config file; raises :class:`ConfigError` listing every problem found."""
    file = Path(path)
    try:
        source = load_yaml(file)
    except YamlSyntaxError as exc:
        hint = "create one with `synchub init`" if exc.message == "file not found" else None
        raise ConfigError([Problem(exc.file, exc.line, exc.message, hint)]) from None
    data = source.data
    if not isinstance(data, dict):
        raise ConfigError(
            [Problem(str(file), 1, "the config must be a mapping of keys", "start from `synchub init`")]
        )

    problems = _reserved_key_problems(source)
    prepared = _prepare(data, file)
    config: Config | None = None
    try:
        config = Config.model_validate(prepared)
    except ValidationError as exc:
        problems.extend(_pydantic_problems(exc, source))
    problems.extend(_semantic_problems(source))
    if problems:
        problems.sort(key=lambda p: p.line or 0)
        raise ConfigError(problems)
    assert config is not None
    return config


def _prepare(data: dict[str, Any], file: Path) -> dict[str, Any]:
    """Fill in what the file does not say: flow names, the file's path, absolute folders."""
    base = file.resolve().parent
    prepared = {k: v for k, v in data.items() if k != "path"}
    prepared["path"] = file.resolve()
    flows = data.get("flows")
    if flows is None:  # `flows:` with every flow commented out
        prepared["flows"] = {}
    if isinstance(flows, dict):
        prepared["flows"] = {
            name: (
                {**{k: v for k, v in flow.items() if k != "name"}, "name": name}
                if isinstance(flow, dict)
                else flow
            )
            for name, flow in flows.items()
        }
    mappings_dir = data.get("mappings_dir")
    if isinstance(mappings_dir, str):
        prepared["mappings_dir"] = (base / mappings_dir).resolve()
    elif "mappings_dir" not in data or mappings_dir is None:
        local = base / "mappings"
        prepared["mappings_dir"] = local if local.is_dir() else SHIPPED_MAPPINGS_DIR
    state = data.get("state")
    if state is None:
        state = {}
    if isinstance(state, dict):
        url = state.get("url", StateConfig().url)
        prepared["state"] = {**state, "url": _anchor_sqlite_url(url, base) if isinstance(url, str) else url}
    return prepared


def _anchor_sqlite_url(url: str, base: Path) -> str:
    """Make a relative SQLite file path absolute against the config's folder.

    Airflow workers and cron jobs start in arbitrary folders; the state must not depend on that.
    """
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return url
    rest = url[len(prefix) :]
    if not rest or rest.startswith("/") or rest.startswith(":memory:") or rest.startswith("file:"):
        return url
    return prefix + str((base / rest).resolve())


# --- pydantic errors -> problems -------------------------------------------------------------


def _reserved_key_problems(source: YamlSource) -> list[Problem]:
    problems = []
    data = source.data
    if "path" in data:
        problems.append(_unknown_key(source, ("path",)))
    flows = data.get("flows")
    if isinstance(flows, dict):
        for name, flow in flows.items():
            if isinstance(flow, dict) and "name" in flow:
                problems.append(
                    Problem(
                        source.file,
                        source.line_of(("flows", name, "name")),
                        f"flows.{name}.name: unknown key",
                        "a flow's name is its key under `flows:`; remove this line",
                    )
                )
    return problems


def _dotted(loc: tuple[str | int, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def _annotation_at(loc: tuple[str | int, ...]) -> Any:
    """The type expected at ``loc`` in a config document (``None`` if the walk gets lost)."""
    current: Any = Config
    for part in loc:
        current = bare_annotation(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next(
                (f for n, f in current.model_fields.items() if (f.alias or n) == part),
                None,
            )
            if field is None:
                return None
            current = field.annotation
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        elif get_origin(current) is list:
            current = get_args(current)[0]
        else:
            return None
    return bare_annotation(current)


def _keys_of(loc: tuple[str | int, ...]) -> list[str]:
    model = _annotation_at(loc)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [f.alias or n for n, f in model.model_fields.items() if (f.alias or n) not in _RESERVED]
    return []


def _did_you_mean(word: str, choices: list[str]) -> str | None:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def _unknown_key(source: YamlSource, loc: tuple[str | int, ...]) -> Problem:
    allowed = _keys_of(loc[:-1])
    hint = _did_you_mean(str(loc[-1]), allowed)
    if hint is None and allowed:
        hint = "allowed keys: " + ", ".join(allowed)
    return Problem(source.file, source.line_of(loc), f"{_dotted(loc)}: unknown key", hint)


def _present_loc(loc: tuple[str | int, ...], data: Any, keep_last: bool) -> tuple[str | int, ...]:
    """The part of a pydantic ``loc`` that names real keys (drops union/validator tags)."""
    kept: list[str | int] = []
    for i, part in enumerate(loc):
        in_dict = isinstance(data, dict) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if in_dict or in_list:
            data = data[part]
        else:
            if keep_last and i == len(loc) - 1:
                kept.append(part)
            break
        kept.append(part)
    return tuple(kept)


def _missing_hint(loc: tuple[str | int, ...]) -> str:
    if loc == ("version",):
        return "add `version: 1` at the top of the file"
    parent = _dotted(loc[:-1])
    return f"add `{loc[-1]}:` under {parent}" if loc[:-1] else f"add `{loc[-1]}:`"


def _pydantic_problems(exc: ValidationError, source: YamlSource) -> list[Problem]:
    problems = []
    for error in exc.errors():
        kind = error["type"]
        loc = _present_loc(tuple(error["loc"]), source.data, keep_last=kind in ("missing", "extra_forbidden"))
        if kind == "extra_forbidden":
            problems.append(_unknown_key(source, loc))
            continue
        line = source.line_of(loc)
        where = _dotted(loc)
        if kind == "missing":
            problems.append(
                Problem(source.file, line, f"{where}: required key is missing", _missing_hint(loc))
            )
        elif kind == "literal_error":
            expected = _annotation_at(loc)
            choices = [str(a) for a in get_args(expected)] if get_origin(expected) is Literal else []
            shown = ", ".join(choices) if choices else error["ctx"]["expected"]
            got = error["input"]
            hint = _did_you_mean(str(got), choices) if isinstance(got, str) else None
            problems.append(Problem(source.file, line, f"{where}: must be one of {shown}, got {got!r}", hint))
        elif kind in ("model_type", "dict_type"):
            keys = _keys_of(loc)
            hint = (
                f"expected keys: {', '.join(keys)}" if keys else "write `key: value` lines indented below it"
            )
            problems.append(
                Problem(source.file, line, f"{where}: must be a mapping, got {error['input']!r}", hint)
            )
        else:
            message = error["msg"]
            message = message[0].lower() + message[1:] if message else message
            problems.append(Problem(source.file, line, f"{where}: {message}, got {error['input']!r}"))
    return problems


# --- checks types cannot express ------------------------------------------------------------


def _semantic_problems(source: YamlSource) -> list[Problem]:
    data: dict[str, Any] = source.data
    problems: list[Problem] = []

    def add(loc: tuple[str | int, ...], message: str, hint: str | None = None) -> None:
        problems.append(Problem(source.file, source.line_of(loc), f"{_dotted(loc)}: {message}", hint))

    mappings_dir = data.get("mappings_dir")
    if isinstance(mappings_dir, str):
        resolved = (Path(source.file).resolve().parent / mappings_dir).resolve()
        if not resolved.is_dir():
            add(("mappings_dir",), f"folder {str(resolved)!r} does not exist", "create it or fix the path")

    systems = data.get("systems")
    system_names = [str(s) for s in systems] if isinstance(systems, dict) else []
    if isinstance(systems, dict):
        installed = sorted(available_connectors())
        for name, system in systems.items():
            connector = system.get("connector") if isinstance(system, dict) else None
            if isinstance(connector, str) and connector not in installed:
                hint = _did_you_mean(connector, installed) or (
                    "installed connectors: "
                    + (", ".join(installed) or "none")
                    + "; install the connector's package"
                )
                add(("systems", name, "connector"), f"no connector named {connector!r} is installed", hint)

    flows = data.get("flows")
    if not isinstance(flows, dict):
        return problems
    flow_names = [str(f) for f in flows]
    for name, flow in flows.items():
        if not isinstance(flow, dict):
            continue
        problems.extend(_flow_problems(source, name, flow, system_names, flow_names))
    problems.extend(_cycle_problems(source, flows))
    if isinstance(systems, dict):
        problems.extend(_connector_problems(source, systems, flows))
    return problems


WRITTEN_BY = {"erp": ("both", "crm_to_erp"), "crm": ("both", "erp_to_crm")}
"""The directions that write to a flow's erp / crm system."""


def _connector_problems(source: YamlSource, systems: dict[str, Any], flows: dict[str, Any]) -> list[Problem]:
    """What the flows' connectors say they cannot do (``Connector.validate_flow``)."""
    problems: list[Problem] = []
    loaded: dict[str, Any] = {}
    installed = available_connectors()
    for name, flow in flows.items():
        entity = flow.get("entity") if isinstance(flow, dict) else None
        if not isinstance(entity, str) or entity not in ENTITIES:
            continue
        for role, writers in WRITTEN_BY.items():
            system = flow.get(role)
            conf = systems.get(system) if isinstance(system, str) else None
            connector = conf.get("connector") if isinstance(conf, dict) else None
            if not isinstance(connector, str) or connector not in installed:
                continue
            if connector not in loaded:
                try:
                    loaded[connector] = load_connector(connector)
                except Exception as exc:  # a broken plugin is a config problem, not a crash
                    loaded[connector] = None
                    loc = ("systems", system, "connector")
                    message = f"{_dotted(loc)}: connector {connector!r} cannot be loaded: {exc}"
                    problems.append(
                        Problem(source.file, source.line_of(loc), message, "reinstall its package")
                    )
            if loaded[connector] is None:
                continue
            loc = ("flows", name, role)
            for message in loaded[connector].validate_flow(
                entity, writes=flow.get("direction", "both") in writers
            ):
                problems.append(
                    Problem(source.file, source.line_of(loc), f"{_dotted(loc)} ({system}): {message}")
                )
            problems.extend(_overlap_problems(source, name, flow, system, loaded[connector]))
    return problems


def _overlap_problems(
    source: YamlSource, name: str, flow: dict[str, Any], system: str, connector: Any
) -> Iterator[Problem]:
    """A flow whose overlap window is shorter than its connector's change stamps are coarse."""
    least = int(getattr(connector, "min_overlap_seconds", 0) or 0)
    default = FlowConfig.model_fields["overlap_seconds"].default
    overlap = flow.get("overlap_seconds", default)
    if least and isinstance(overlap, int) and not isinstance(overlap, bool) and 0 <= overlap < least:
        present = "overlap_seconds" in flow
        loc = ("flows", name, "overlap_seconds") if present else ("flows", name)
        yield Problem(
            source.file,
            source.line_of(loc),
            f"{_dotted(('flows', name, 'overlap_seconds'))}: {overlap} is too short for {system} "
            f"({connector.name}): its change stamps can be whole minutes, so a record changed while a "
            "read ran could be missed",
            f"set overlap_seconds to {least} or more (the default is {default})",
        )


def _flow_problems(
    source: YamlSource, name: str, flow: dict[str, Any], system_names: list[str], flow_names: list[str]
) -> Iterator[Problem]:
    def problem(key: tuple[str | int, ...], message: str, hint: str | None = None) -> Problem:
        loc = ("flows", name, *key)
        return Problem(source.file, source.line_of(loc), f"{_dotted(loc)}: {message}", hint)

    for role in ("erp", "crm"):
        system = flow.get(role)
        if isinstance(system, str) and system not in system_names:
            hint = _did_you_mean(system, system_names) or (
                f"define it under `systems:` (defined: {', '.join(system_names) or 'none'})"
            )
            yield problem((role,), f"system {system!r} is not defined", hint)
    if isinstance(flow.get("erp"), str) and flow.get("erp") == flow.get("crm"):
        yield problem(("crm",), "erp and crm name the same system", "a flow syncs two different systems")

    schedule = flow.get("schedule")
    if isinstance(schedule, str):
        error = cron_error(schedule)
        if error:
            yield problem(
                ("schedule",),
                f"{schedule!r} is not a valid schedule: {error}",
                "use 5 cron fields like '*/15 * * * *', or one of " + ", ".join(CRON_PRESETS),
            )

    entity = flow.get("entity")
    fields = sorted(ENTITIES[entity].model_fields) if isinstance(entity, str) and entity in ENTITIES else None
    if fields is not None:
        yield from _field_name_problems(problem, entity, fields, flow)
        if flow.get("deletes") == "archive" and "active" not in fields:
            yield problem(
                ("deletes",),
                f"archive needs an 'active' field, and {entity} has none",
                "use deletes: propagate or ignore (archive suits customers and products)",
            )

    depends_on = flow.get("depends_on")
    deps = [depends_on] if isinstance(depends_on, str) else depends_on if isinstance(depends_on, list) else []
    for i, dep in enumerate(deps):
        key: tuple[str | int, ...] = ("depends_on",) if isinstance(depends_on, str) else ("depends_on", i)
        if isinstance(dep, str) and dep not in flow_names:
            hint = _did_you_mean(dep, flow_names) or f"defined flows: {', '.join(flow_names)}"
            yield problem(key, f"flow {dep!r} is not defined", hint)
        elif dep == name:
            yield problem(key, "a flow cannot depend on itself", "remove it from depends_on")


def _field_name_problems(
    problem: Callable[..., Problem], entity: str, fields: list[str], flow: dict[str, Any]
) -> Iterator[Problem]:
    def check(key: tuple[str | int, ...], path: str) -> Problem | None:
        head = path.split(".", 1)[0]
        if head in fields:
            return None
        hint = _did_you_mean(head, fields) or f"{entity} fields: {', '.join(fields)}"
        return problem(key, f"{entity} has no field {head!r}", hint)

    match_keys = flow.get("match_keys")
    rules = (
        [match_keys] if isinstance(match_keys, str) else match_keys if isinstance(match_keys, list) else []
    )
    for i, rule in enumerate(rules):
        key: tuple[str | int, ...] = ("match_keys",) if isinstance(match_keys, str) else ("match_keys", i)
        parts = [rule] if isinstance(rule, str) else rule if isinstance(rule, list) else []
        if isinstance(rule, list) and not rule:
            yield problem(
                key, "an empty match rule matches nothing", "list at least one field, e.g. [tax_id]"
            )
        for j, part in enumerate(parts):
            if isinstance(part, str):
                found = check(key if isinstance(rule, str) else (*key, j), part)
                if found:
                    yield found

    owners = flow.get("field_owners")
    if isinstance(owners, dict):
        for field_path in owners:
            found = check(("field_owners", field_path), str(field_path))
            if found:
                yield found


def _cycle_problems(source: YamlSource, flows: Mapping[str, Any]) -> list[Problem]:
    graph: dict[str, list[str]] = {}
    for name, flow in flows.items():
        deps = flow.get("depends_on") if isinstance(flow, dict) else None
        deps = [deps] if isinstance(deps, str) else deps if isinstance(deps, list) else []
        graph[name] = [d for d in deps if isinstance(d, str) and d in flows and d != name]

    problems: list[Problem] = []
    state: dict[str, str] = {}  # "visiting" | "done"
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = "visiting"
        stack.append(node)
        for dep in graph[node]:
            if state.get(dep) == "visiting":
                # Start the printed cycle at the flow the problem is reported on.
                cycle = [node, *stack[stack.index(dep) : -1], node]
                loc = ("flows", node, "depends_on")
                problems.append(
                    Problem(
                        source.file,
                        source.line_of(loc),
                        f"{_dotted(loc)}: dependency cycle {' -> '.join(cycle)}",
                        "remove one of these dependencies",
                    )
                )
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = "done"

    for node in graph:
        if node not in state:
            visit(node)
    return problems


# --- cron ------------------------------------------------------------------------------------

_CRON_FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")),
    ("day of week", 0, 7, ("sun", "mon", "tue", "wed", "thu", "fri", "sat")),
)
_CRON_ITEM = re.compile(r"^(?P<range>\*|[0-9a-z]+(?:-[0-9a-z]+)?)(?:/(?P<step>[0-9]+))?$")


def cron_error(expression: str) -> str | None:
    """Why ``expression`` is not a valid schedule, or ``None`` if it is (5 fields or an @preset)."""
    text = expression.strip()
    if text.startswith("@"):
        return None if text in CRON_PRESETS else f"unknown preset {text!r}"
    parts = text.split()
    if len(parts) != 5:
        return f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(parts)}"
    for part, (label, low, high, names) in zip(parts, _CRON_FIELDS, strict=True):
        for item in part.lower().split(","):
            match = _CRON_ITEM.match(item)
            if not match:
                return f"{label} field {part!r} is not *, a number, a range, a step or a list"
            if match["step"] is not None and int(match["step"]) == 0:
                return f"{label} field {part!r} has a step of 0"
            if match["range"] == "*":
                continue
            bounds = []
            for value in match["range"].split("-"):
                number = names.index(value) + (1 if label == "month" else 0) if value in names else None
                if number is None:
                    if not value.isdigit():
                        return f"{label} field {part!r}: {value!r} is not a number"
                    number = int(value)
                if not low <= number <= high:
                    return f"{label} field {part!r}: {number} is outside {low}-{high}"
                bounds.append(number)
            if len(bounds) == 2 and bounds[0] > bounds[1]:
                return f"{label} field {part!r}: range {bounds[0]}-{bounds[1]} runs backwards"
    return None
