"""Every connector's conformance subjects. A connector adds a module under ``subjects/`` with fixtures
named ``subject_<name>`` and lists the names here; each subject runs every check of the harness."""

from __future__ import annotations

import pytest

from tests.connectors.conformance.harness import Subject
from tests.connectors.conformance.subjects.bottlecrm import (  # noqa: F401 - fixtures
    bottlecrm_conformance_server,
    bottlecrm_fault_proxy,
    bottlecrm_side,
    subject_bottlecrm_complaint,
    subject_bottlecrm_customer,
    subject_bottlecrm_product,
    subject_bottlecrm_product_cost,
    subject_bottlecrm_quote,
)
from tests.connectors.conformance.subjects.memory import (  # noqa: F401 - fixtures
    subject_memory_cursor,
    subject_memory_snapshot,
)
from tests.connectors.conformance.subjects.odoo import (  # noqa: F401 - fixtures
    ODOO_FIXTURES,
    ODOO_SUBJECTS,
    odoo_conformance_servers,
)
from tests.connectors.conformance.subjects.salesforce import SALESFORCE_SUBJECTS
from tests.connectors.conformance.subjects.sap_s4hana import (  # noqa: F401 - fixtures
    SAP_SUBJECTS,
    subject_sap_complaint,
    subject_sap_customer,
    subject_sap_product,
    subject_sap_sales_order,
)
from tests.connectors.conformance.subjects.suitecrm import (  # noqa: F401 - fixtures
    subject_suitecrm_complaint,
    subject_suitecrm_customer,
    subject_suitecrm_product,
    subject_suitecrm_product_cost,
    subject_suitecrm_quote,
    subject_suitecrm_sales_order,
    suitecrm_fault_proxy,
    suitecrm_side,
)
from tests.connectors.conformance.subjects.tryton import (  # noqa: F401 - fixtures
    subject_tryton_complaint,
    subject_tryton_customer,
    subject_tryton_product,
    subject_tryton_product_cost,
    subject_tryton_quote,
    subject_tryton_sales_order,
    tryton_conformance_server,
    tryton_fault_proxy,
    tryton_side,
)

globals().update(SALESFORCE_SUBJECTS)  # every entity on every org shape: fixtures made in a loop
globals().update(ODOO_FIXTURES)  # every entity on both transports

SUBJECTS = [
    "memory_cursor",
    "memory_snapshot",
    "tryton_customer",
    "tryton_product",
    "tryton_product_cost",
    "tryton_quote",
    "tryton_sales_order",
    "tryton_complaint",
    "bottlecrm_customer",
    "bottlecrm_product",
    "bottlecrm_product_cost",
    "bottlecrm_quote",
    "bottlecrm_complaint",
    "suitecrm_customer",
    "suitecrm_product",
    "suitecrm_product_cost",
    "suitecrm_quote",
    "suitecrm_sales_order",
    "suitecrm_complaint",
    *(name.removeprefix("subject_") for name in SALESFORCE_SUBJECTS),
    *SAP_SUBJECTS,
    *ODOO_SUBJECTS,
]


@pytest.fixture(params=SUBJECTS)
def subject(request: pytest.FixtureRequest) -> Subject:
    return request.getfixturevalue(f"subject_{request.param}")
