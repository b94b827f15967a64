"""synchub.yaml loading: defaults, every check, and errors that name the file, line, key and fix."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import get_args

import pytest

from connectors.base import ConnectionSettings
from sync_engine.config import (
    SHIPPED_MAPPINGS_DIR,
    ConfigError,
    FlowConfig,
    SystemConfig,
    cron_error,
    find_config,
    load_config,
)
from sync_engine.connections import MissingConnection, env_var_name, resolve_connection
from sync_engine.model import ENTITIES

TEMPLATE = Path(__file__).resolve().parent.parent / "sync_engine" / "templates" / "synchub.yaml"

BASE = """\
version: 1
systems:
  erp: {connector: memory}
  crm: {connector: memory}
flows:
  customers:
    entity: customer
    erp: erp
    crm: crm
"""


def write(tmp_path: Path, text: str, name: str = "synchub.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return [str(p).replace(f"{path}:", "L") for p in caught.value.problems]


# --- a valid file ------------------------------------------------------------------------------


def test_template_loads_with_names_defaults_and_absolute_paths(tmp_path: Path) -> None:
    path = tmp_path / "synchub.yaml"
    path.write_text(TEMPLATE.read_text(encoding="utf-8"), encoding="utf-8")
    config = load_config(path)

    assert config.path == path.resolve()
    assert set(config.systems) == {"erp", "crm"}
    customers, products = config.flows["customers"], config.flows["products"]
    assert (customers.name, customers.entity, customers.direction) == ("customers", "customer", "both")
    assert customers.match_keys == [["tax_id"], ["name"]]
    assert customers.field_owners["contacts"] == "crm"
    assert (products.direction, products.match_keys, products.schedule) == (
        "erp_to_crm",
        [["sku"]],
        "@hourly",
    )
    assert products.batch_size == 200 and products.page_size == 500 and products.overlap_seconds == 120
    assert config.state.url == f"sqlite:///{tmp_path.resolve() / 'synchub-state.db'}"
    assert config.mappings_dir == SHIPPED_MAPPINGS_DIR


def test_mappings_dir_defaults_to_the_folder_next_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "mappings").mkdir()
    assert load_config(write(tmp_path, BASE)).mappings_dir == (tmp_path / "mappings").resolve()


def test_mappings_dir_is_resolved_against_the_config_folder(tmp_path: Path) -> None:
    (tmp_path / "conf" / "maps").mkdir(parents=True)
    path = write(tmp_path / "conf", BASE + "mappings_dir: maps\n")
    assert load_config(path).mappings_dir == (tmp_path / "conf" / "maps").resolve()


@pytest.mark.parametrize(
    "url",
    ["postgresql+psycopg://synchub@db/airflow", "sqlite:///:memory:", "sqlite://", "sqlite:////abs/state.db"],
)
def test_state_urls_other_than_relative_sqlite_files_are_kept_as_written(tmp_path: Path, url: str) -> None:
    config = load_config(write(tmp_path, BASE + f"state: {{url: '{url}', schema: synchub}}\n"))
    assert config.state.url == url
    assert config.state.schema_ == "synchub"


def test_bare_strings_are_one_field_match_rules_and_single_dependencies(tmp_path: Path) -> None:
    text = BASE + (
        "    match_keys: [tax_id, [name, currency]]\n"
        "  orders:\n"
        "    entity: sales_order\n"
        "    erp: erp\n"
        "    crm: crm\n"
        "    match_keys: number\n"
        "    depends_on: customers\n"
    )
    config = load_config(write(tmp_path, text))
    assert config.flows["customers"].match_keys == [["tax_id"], ["name", "currency"]]
    assert config.flows["orders"].match_keys == [["number"]]
    assert config.flows["orders"].depends_on == ["customers"]


# --- problems ---------------------------------------------------------------------------------


def test_three_mistakes_give_three_precise_problems(tmp_path: Path) -> None:
    text = (
        BASE.replace("crm: crm\n", "crm: crn\n") + "    conflict_policy: neweset\n    match_key: [[tax_id]]\n"
    )
    assert problems(tmp_path, text) == [
        "L9: flows.customers.crm: system 'crn' is not defined (hint: did you mean 'crm'?)",
        "L10: flows.customers.conflict_policy: must be one of manual, newest, erp, crm, got 'neweset'"
        " (hint: did you mean 'newest'?)",
        "L11: flows.customers.match_key: unknown key (hint: did you mean 'match_keys'?)",
    ]


def test_config_error_lists_one_problem_per_line(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("entity: customer", "entity: client") + "    batch_size: 0\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    lines = str(caught.value).splitlines()
    assert len(lines) == len(caught.value.problems) == 2
    assert lines[0].startswith(f"{path}:7: flows.customers.entity: must be one of customer, product")
    assert (
        lines[1]
        == f"{path}:10: flows.customers.batch_size: input should be greater than or equal to 1, got 0"
    )


def test_unknown_key_without_a_close_match_lists_the_allowed_keys(tmp_path: Path) -> None:
    assert problems(tmp_path, "colour: red\n" + BASE) == [
        "L1: colour: unknown key (hint: allowed keys: version, state, mappings_dir, systems, flows)"
    ]


def test_unknown_keys_are_found_at_every_level(tmp_path: Path) -> None:
    text = BASE.replace("erp: {connector: memory}", "erp: {connector: memory, conection: x}")
    text += "state: {url: 'sqlite://', shema: s}\n"
    assert problems(tmp_path, text) == [
        "L3: systems.erp.conection: unknown key (hint: did you mean 'connection'?)",
        "L10: state.shema: unknown key (hint: did you mean 'schema'?)",
    ]


def test_flow_name_and_path_are_not_user_keys(tmp_path: Path) -> None:
    text = "path: x\n" + BASE + "    name: other\n"
    found = problems(tmp_path, text)
    assert (
        found[0] == "L1: path: unknown key (hint: allowed keys: version, state, mappings_dir, systems, flows)"
    )
    assert found[1].startswith("L11: flows.customers.name: unknown key (hint: a flow's name is its key")


def test_a_top_level_name_key_is_reported_not_dropped(tmp_path: Path) -> None:
    assert problems(tmp_path, "name: prod\n" + BASE) == [
        "L1: name: unknown key (hint: allowed keys: version, state, mappings_dir, systems, flows)"
    ]


def test_missing_required_keys_are_named_with_where_to_add_them(tmp_path: Path) -> None:
    text = BASE.replace("version: 1\n", "").replace("    entity: customer\n", "")
    assert problems(tmp_path, text) == [
        "L1: version: required key is missing (hint: add `version: 1` at the top of the file)",
        "L5: flows.customers.entity: required key is missing (hint: add `entity:` under flows.customers)",
    ]


def test_only_version_1_is_accepted(tmp_path: Path) -> None:
    assert problems(tmp_path, BASE.replace("version: 1", "version: 2")) == [
        "L1: version: must be one of 1, got 2"
    ]


def test_erp_and_crm_must_be_defined_and_different(tmp_path: Path) -> None:
    text = BASE.replace("crm: crm\n", "crm: erp\n").replace("erp: erp\n", "erp: sap\n")
    assert problems(tmp_path, text) == [
        "L8: flows.customers.erp: system 'sap' is not defined"
        " (hint: define it under `systems:` (defined: erp, crm))"
    ]
    assert problems(tmp_path, BASE.replace("crm: crm\n", "crm: erp\n")) == [
        "L9: flows.customers.crm: erp and crm name the same system (hint: a flow syncs two different systems)"
    ]


def test_match_keys_and_field_owners_must_name_fields_of_the_entity(tmp_path: Path) -> None:
    text = BASE + (
        "    match_keys: [[tax_id, emial], []]\n"
        "    field_owners: {contacts.email: crm, credit_limit.amount: erp, adresses: erp, xyzzy: crm}\n"
    )
    found = problems(tmp_path, text)
    assert found[0] == "L10: flows.customers.match_keys.0.1: customer has no field 'emial'" + (
        " (hint: customer fields: active, addresses, contacts, credit_limit, currency, legal_form, name,"
        " payment_terms, tax_id)"
    )
    assert found[1] == (
        "L10: flows.customers.match_keys.1: an empty match rule matches nothing"
        " (hint: list at least one field, e.g. [tax_id])"
    )
    # Dotted paths are checked by their first part only: contacts.email and credit_limit.amount pass.
    assert found[2] == "L11: flows.customers.field_owners.adresses: customer has no field 'adresses'" + (
        " (hint: did you mean 'addresses'?)"
    )
    assert found[3].startswith("L11: flows.customers.field_owners.xyzzy: customer has no field 'xyzzy'")
    assert len(found) == 4


def test_field_owner_must_be_erp_or_crm(tmp_path: Path) -> None:
    assert problems(tmp_path, BASE + "    field_owners: {tax_id: bank}\n") == [
        "L10: flows.customers.field_owners.tax_id: must be one of erp, crm, got 'bank'"
    ]


def test_depends_on_must_name_flows_without_cycles(tmp_path: Path) -> None:
    text = BASE + (
        "    depends_on: [orders, custmers]\n"
        "  orders:\n"
        "    entity: sales_order\n"
        "    erp: erp\n"
        "    crm: crm\n"
        "    depends_on: [customers, orders]\n"
    )
    assert problems(tmp_path, text) == [
        "L10: flows.customers.depends_on.1: flow 'custmers' is not defined (hint: did you mean 'customers'?)",
        "L15: flows.orders.depends_on.1: a flow cannot depend on itself (hint: remove it from depends_on)",
        "L15: flows.orders.depends_on: dependency cycle orders -> customers -> orders"
        " (hint: remove one of these dependencies)",
    ]


def test_connector_must_be_installed(tmp_path: Path) -> None:
    assert problems(tmp_path, BASE.replace("crm: {connector: memory}", "crm: {connector: memroy}")) == [
        "L4: systems.crm.connector: no connector named 'memroy' is installed (hint: did you mean 'memory'?)"
    ]
    [found] = problems(tmp_path, BASE.replace("crm: {connector: memory}", "crm: {connector: siebel}"))
    assert found.startswith(
        "L4: systems.crm.connector: no connector named 'siebel' is installed (hint: installed connectors: "
    )
    assert "memory" in found and found.endswith("; install the connector's package)")


def test_invalid_schedule_names_the_reason_and_the_accepted_forms(tmp_path: Path) -> None:
    found = problems(tmp_path, BASE + "    schedule: '*/15 * * *'\n")
    assert len(found) == 1
    assert found[0].startswith(
        "L10: flows.customers.schedule: '*/15 * * *' is not a valid schedule: expected 5 fields"
    )
    assert "(hint: use 5 cron fields like '*/15 * * * *', or one of @hourly" in found[0]


def test_mappings_dir_must_exist_when_given(tmp_path: Path) -> None:
    found = problems(tmp_path, BASE + "mappings_dir: nowhere\n")
    assert found == [
        f"L10: mappings_dir: folder '{(tmp_path / 'nowhere').resolve()}' does not exist"
        " (hint: create it or fix the path)"
    ]


def test_wrong_types_name_the_key_and_the_value(tmp_path: Path) -> None:
    text = BASE + "    enabled: maybe\n    overlap_seconds: -5\n    schedule: 15\n"
    assert problems(tmp_path, text) == [
        "L10: flows.customers.enabled: input should be a valid boolean, unable to interpret input,"
        " got 'maybe'",
        "L11: flows.customers.overlap_seconds: input should be greater than or equal to 0, got -5",
        "L12: flows.customers.schedule: input should be a valid string, got 15",
    ]


def test_a_section_that_is_not_a_mapping_lists_the_keys_it_takes(tmp_path: Path) -> None:
    text = BASE.replace("crm: {connector: memory}", "crm: memory")
    assert problems(tmp_path, text) == [
        "L4: systems.crm: must be a mapping, got 'memory'"
        " (hint: expected keys: connector, connection, options, max_concurrency)"
    ]


def test_empty_flows_section_means_no_flows(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "version: 1\nsystems: {}\nflows:\n"))
    assert config.flows == {}


def test_flow_entities_are_exactly_the_canonical_entities() -> None:
    assert set(get_args(FlowConfig.model_fields["entity"].annotation)) == set(ENTITIES)


def test_missing_file_suggests_init(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "absent.yaml")
    assert (
        str(caught.value)
        == f"{tmp_path / 'absent.yaml'}: file not found (hint: create one with `synchub init`)"
    )


def test_yaml_syntax_errors_carry_the_line(tmp_path: Path) -> None:
    found = problems(tmp_path, BASE + "    erp: [unclosed\n")
    assert len(found) == 1 and found[0].startswith("L") and "invalid YAML" in found[0]
    assert int(found[0][1:].split(":")[0]) >= 10


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    assert problems(tmp_path, "- just\n- a list\n") == [
        "L1: the config must be a mapping of keys (hint: start from `synchub init`)"
    ]


# --- cron --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expression",
    [
        "* * * * *",
        "*/15 * * * *",
        "0 6-18/2 * * 1-5",
        "5,35 0 1,15 * *",
        "0 0 * jan-mar sun",
        "0 0 * * 7",
        "@daily",
    ],
)
def test_valid_cron_expressions_pass(expression: str) -> None:
    assert cron_error(expression) is None


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("* * * *", "expected 5 fields"),
        ("60 * * * *", "minute field '60': 60 is outside 0-59"),
        ("* 24 * * *", "hour field '24': 24 is outside 0-23"),
        ("* * 0 * *", "day of month field '0': 0 is outside 1-31"),
        ("* * * 13 *", "month field '13': 13 is outside 1-12"),
        ("*/0 * * * *", "step of 0"),
        ("10-5 * * * *", "range 10-5 runs backwards"),
        ("? * * * *", "is not *, a number, a range, a step or a list"),
        ("* * * * mon-fry", "'fry' is not a number"),
        ("@every5m", "unknown preset"),
    ],
)
def test_invalid_cron_expressions_say_why(expression: str, reason: str) -> None:
    error = cron_error(expression)
    assert error is not None and reason in error


# --- finding the file ------------------------------------------------------------------------


def test_find_config_prefers_the_option_then_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNCHUB_CONFIG", "/etc/synchub/prod.yaml")
    assert find_config(Path("mine.yaml")) == Path("mine.yaml")
    assert find_config(None) == Path("/etc/synchub/prod.yaml")
    monkeypatch.delenv("SYNCHUB_CONFIG")
    assert find_config(None) == Path("synchub.yaml")


# --- connections -------------------------------------------------------------------------------


def test_env_var_name_upper_cases_and_replaces_non_alphanumerics() -> None:
    assert env_var_name("erp-conn.prod") == "SYNCHUB_CONN_ERP_CONN_PROD"


def test_system_without_connection_uses_its_name_as_host() -> None:
    settings = resolve_connection("erp", SystemConfig(connector="memory"), environ={})
    assert settings == ConnectionSettings(conn_type="memory", host="erp")


def test_connection_uri_is_read_from_the_environment() -> None:
    env = {"SYNCHUB_CONN_TRYTON_PROD": "tryton://admin:s%40cret@erp.example.com:8000/sales?lang=de"}
    settings = resolve_connection(
        "erp", SystemConfig(connector="tryton", connection="tryton_prod"), environ=env
    )
    assert (settings.conn_type, settings.host, settings.port) == ("tryton", "erp.example.com", 8000)
    assert (settings.login, settings.password, settings.schema) == ("admin", "s@cret", "sales")
    assert settings.extra == {"lang": "de"}


def test_missing_connection_names_the_variable_and_the_uri_format() -> None:
    with pytest.raises(MissingConnection) as caught:
        resolve_connection("crm", SystemConfig(connector="bottlecrm", connection="crm-main"), environ={})
    message = str(caught.value)
    assert "system 'crm'" in message and "SYNCHUB_CONN_CRM_MAIN" in message
    assert "type://login:password@host:port/schema" in message


def test_an_unparsable_uri_is_reported_without_leaking_it() -> None:
    env = {"SYNCHUB_CONN_CRM": "no-scheme-hunter2@host"}
    with pytest.raises(MissingConnection) as caught:
        resolve_connection("crm", SystemConfig(connector="bottlecrm", connection="crm"), environ=env)
    assert "SYNCHUB_CONN_CRM is not a valid connection URI" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_registered_lookups_are_asked_before_the_environment() -> None:
    from_airflow = ConnectionSettings(conn_type="tryton", host="airflow-managed")
    env = {"SYNCHUB_CONN_ERP": "tryton://env-host"}
    system = SystemConfig(connector="tryton", connection="erp")

    def lookup(conn_id: str) -> ConnectionSettings | None:
        return from_airflow if conn_id == "erp" else None

    assert resolve_connection("erp", system, environ=env, lookups=[lookup]) is from_airflow
    assert resolve_connection("erp", system, environ=env, lookups=[lambda _: None]).host == "env-host"
