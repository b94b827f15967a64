# ruff: noqa: RUF001 - Greek company names are meant to be Greek
"""What the demo puts into Tryton and the CRM (BottleCRM or SuiteCRM), and the config that syncs them.

Native records in each connector's own shape (docs/connectors/tryton.md, bottlecrm.md, suitecrm.md), so the
seed goes through the same connectors the flows use.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

__all__ = [
    "CONFLICT_CUSTOMER",
    "CONFLICT_VALUES",
    "CRM_ACCOUNTS",
    "ERP_PARTIES",
    "PRODUCTS",
    "QUOTE_CUSTOMER",
    "config_document",
]

ERP_CONNECTION = "demo_erp"
CRM_CONNECTION = "demo_crm"

# (name, tax id, street, postal code, city, country, contact, email, phone)
_ERP_ROWS = (
    ("Müller Maschinenbau GmbH", "DE811234561", "Industriestraße 12", "70565", "Stuttgart", "DE",
     "Jürgen Müller", "j.mueller@mueller-maschinen.de", "+49 711 123450"),
    ("Bäckerei Schröder KG", "DE811234562", "Marktplatz 3", "50667", "Köln", "DE",
     "Anna Schröder", "anna@baeckerei-schroeder.de", "+49 221 987650"),
    ("Weiß & Söhne OHG", "DE811234563", "Hafenstraße 88", "20457", "Hamburg", "DE",
     "Lukas Weiß", "lukas@weiss-soehne.de", "+49 40 5566770"),
    ("Österreichische Pumpenwerke AG", "ATU12345678", "Ringstraße 5", "1010", "Wien", "AT",
     "Eva Huber", "eva.huber@pumpenwerke.at", "+43 1 2345670"),
    ("Zürcher Präzision AG", "CHE-123.456.789", "Bahnhofstrasse 40", "8001", "Zürich", "CH",
     "Reto Keller", "reto.keller@zh-praezision.ch", "+41 44 1234560"),
    ("Société Générale d'Équipement", "FR40123456789", "12 rue de la Paix", "75002", "Paris", "FR",
     "Hélène Dubois", "h.dubois@sge.fr", "+33 1 42000000"),
    ("Boulangerie Lefèvre SARL", "FR40123456790", "5 place Bellecour", "69002", "Lyon", "FR",
     "François Lefèvre", "francois@lefevre.fr", "+33 4 78000000"),
    ("Château Côte-Rôtie SAS", "FR40123456791", "Route des Vins 1", "69420", "Ampuis", "FR",
     "Chloé Martin", "chloe@cote-rotie.fr", "+33 4 74000000"),
    ("北京华信科技有限公司", "91110000100000001A", "朝阳区建国路88号", "100022", "北京", "CN",
     "王 伟", "wang.wei@huaxin.cn", "+86 10 65000001"),
    ("上海东方贸易有限公司", "91310000100000002B", "浦东新区世纪大道100号", "200120", "上海", "CN",
     "李 娜", "li.na@dongfang.cn", "+86 21 68000002"),
    ("深圳创新电子有限公司", "91440300100000003C", "南山区科技园1号", "518057", "深圳", "CN",
     "张 强", "zhang.qiang@chuangxin.cn", "+86 755 86000003"),
    ("广州白云机械厂", "91440100100000004D", "白云区机场路9号", "510405", "广州", "CN",
     "陈 静", "chen.jing@baiyun.cn", "+86 20 36000004"),
    ("株式会社山田製作所", "JP1234567890123", "千代田区丸の内1-1", "100-0005", "東京", "JP",
     "山田 太郎", "t.yamada@yamada-ss.jp", "+81 3 12345678"),
    ("大阪精密工業株式会社", "JP1234567890124", "北区梅田2-2", "530-0001", "大阪", "JP",
     "佐藤 花子", "h.sato@osaka-seimitsu.jp", "+81 6 23456789"),
    ("京都セラミック合同会社", "JP1234567890125", "下京区烏丸通3-3", "600-8216", "京都", "JP",
     "鈴木 一郎", "i.suzuki@kyoto-ceramic.jp", "+81 75 3456789"),
    ("شركة الخليج للتجارة", "GB123456789", "12 Edgware Road", "W2 2EA", "London", "GB",
     "أحمد الحسن", "ahmed@gulf-trading.co.uk", "+44 20 71234567"),
    ("مؤسسة النور للهندسة", "DE811234564", "Sonnenallee 50", "12045", "Berlin", "DE",
     "فاطمة الزهراء", "fatima@alnoor-eng.de", "+49 30 6123456"),
    ("Ελληνική Ναυτιλιακή Α.Ε.", "NL123456789B01", "Wilhelminakade 91", "3072 AP", "Rotterdam", "NL",
     "Γιώργος Παπαδόπουλος", "g.papadopoulos@hellenic-shipping.nl", "+31 10 2345678"),
    ("Αθηναϊκή Τεχνική Ο.Ε.", "BE0123456789", "Avenue Louise 100", "1050", "Bruxelles", "BE",
     "Μαρία Κωνσταντίνου", "maria@athens-tech.be", "+32 2 5123456"),
    ("Polska Stal Sp. z o.o.", "PL1234567890", "ul. Marszałkowska 10", "00-590", "Warszawa", "PL",
     "Łukasz Wiśniewski", "lukasz@polskastal.pl", "+48 22 6123456"),
    ("Industrias Peñalara S.L.", "ESB12345678", "Calle de Alcalá 45", "28014", "Madrid", "ES",
     "José Núñez", "jose.nunez@penalara.es", "+34 91 5123456"),
    ("Officine Meccaniche Ferrara S.p.A.", "IT12345678901", "Via Roma 7", "44121", "Ferrara", "IT",
     "Giulia Rossi", "giulia.rossi@omf.it", "+39 0532 123456"),
    ("Nordisk Værktøj A/S", "DK12345678", "Strøget 20", "1160", "København", "DK",
     "Søren Jørgensen", "soren@nordisk-vaerktoej.dk", "+45 33 123456"),
    ("Göteborgs Järn AB", "SE123456789001", "Kungsgatan 15", "41119", "Göteborg", "SE",
     "Åsa Lindström", "asa@gbg-jarn.se", "+46 31 123456"),
    ("Dublin Tools Ltd", "IE1234567T", "14 Grafton Street", "D02 VK65", "Dublin", "IE",
     "Siobhán O'Brien", "siobhan@dublintools.ie", "+353 1 6123456"),
    ("Maple Leaf Supplies Inc.", "CA123456789", "100 King St W", "M5X 1A9", "Toronto", "CA",
     "Émilie Tremblay", "emilie@mapleleaf.ca", "+1 416 5550100"),
    ("Acme Industrial Corp.", "US12-3456789", "500 Market St", "94105", "San Francisco", "US",
     "John Smith", "john.smith@acme-industrial.com", "+1 415 5550101"),
    ("Brighton Engineering Ltd", "GB987654321", "1 North Street", "BN1 1EB", "Brighton", "GB",
     "Oliver Hughes", "oliver@brighton-eng.co.uk", "+44 1273 123456"),
    ("Amsterdamse Handel B.V.", "NL987654321B01", "Damrak 1", "1012 LG", "Amsterdam", "NL",
     "Sanne de Vries", "sanne@ams-handel.nl", "+31 20 1234567"),
    ("Basler Chemie GmbH", "CHE-987.654.321", "Rheinweg 8", "4058", "Basel", "CH",
     "Nina Meier", "nina.meier@basler-chemie.ch", "+41 61 1234567"),
)  # fmt: skip

# CRM-only accounts (no tax id: BottleCRM has none); they flow to the ERP.
_CRM_ROWS = (
    ("Lindqvist Design AB", "Drottninggatan 5", "11151", "Stockholm", "SE",
     "Elin Lindqvist", "elin@lindqvist-design.se", "+46 8 123456"),
    ("Rheinische Logistik GmbH", "Rheinuferstraße 2", "40213", "Düsseldorf", "DE",
     "Max Becker", "max.becker@rh-logistik.de", "+49 211 123456"),
    ("杭州西湖茶业有限公司", "西湖区龙井路1号", "310013", "杭州", "CN",
     "刘 洋", "liu.yang@xihu-tea.cn", "+86 571 87000005"),
    ("名古屋ロボティクス株式会社", "中区栄4-4", "460-0008", "名古屋", "JP",
     "高橋 健", "k.takahashi@nagoya-robotics.jp", "+81 52 4567890"),
    ("Atelier Géraud & Fils", "8 quai des Chartrons", "33000", "Bordeaux", "FR",
     "Géraud Lambert", "geraud@atelier-geraud.fr", "+33 5 56000000"),
    ("Κρήτη Τρόφιμα Α.Ε.", "Via Torino 3", "20123", "Milano", "IT",
     "Νίκος Αλεξίου", "nikos@kriti-food.it", "+39 02 1234567"),
)  # fmt: skip

# (code, name, unit, list price, cost price, cost method)
_PRODUCT_ROWS = (
    ("PMP-100", "Kreiselpumpe KP-100", "u", "1250.00", "812.50", "fixed"),
    ("VLV-050", "Edelstahl-Kugelhahn DN50", "u", "189.00", "97.40", "fixed"),
    ("PIP-316", "Rohr 1.4404 Ø48 (m)", "m", "42.50", "23.10", "average"),
    ("SEN-T20", "温度传感器 PT100", "u", "78.90", "31.25", "fixed"),
    ("MOT-7K5", "モーター 7.5 kW", "u", "2340.00", "1610.00", "average"),
    ("GSK-KIT", "Joint d'étanchéité (kit)", "u", "24.90", "8.75", "fixed"),
    ("SRV-HR", "Service technician (hour)", "h", "95.00", "52.00", "fixed"),
    ("LUB-5KG", "Schmierfett 5 kg", "kg", "12.40", "6.05", "average"),
)  # fmt: skip

ERP_PARTIES: list[dict[str, Any]] = [
    {
        "name": name,
        "tax_identifier": tax_id,
        "addresses": [
            {"street": street, "postal_code": postal, "city": city, "country": country, "invoice": True}
        ],
        "contacts": [{"name": contact, "email": email, "phone": phone, "comment": "Einkauf"}],
    }
    for name, tax_id, street, postal, city, country, contact, email, phone in _ERP_ROWS
]

CRM_ACCOUNTS: list[dict[str, Any]] = [
    {
        "name": name,
        "currency": "EUR",
        "is_active": True,
        "addresses": [
            {"address_line": street, "postcode": postal, "city": city, "state": None, "country": country}
        ],
        "contacts": [
            {
                "first_name": contact.split(" ", 1)[0],
                "last_name": contact.split(" ", 1)[1],
                "email": email,
                "phone": phone,
                "title": "Buyer",
            }
        ],
    }
    for name, street, postal, city, country, contact, email, phone in _CRM_ROWS
]

# The same CRM-only accounts in SuiteCRM's native shape (docs/connectors/suitecrm.md).
SUITECRM_ACCOUNTS: list[dict[str, Any]] = [
    {
        "name": name,
        "addresses": [
            {
                "kind": "billing",
                "street": street,
                "postalcode": postal,
                "city": city,
                "state": None,
                "country": country,
            }
        ],
        "contacts": [
            {
                "first_name": contact.split(" ", 1)[0],
                "last_name": contact.split(" ", 1)[1],
                "email1": email,
                "phone_work": phone,
                "title": "Buyer",
            }
        ],
    }
    for name, street, postal, city, country, contact, email, phone in _CRM_ROWS
]
SUITECRM_CURRENCY = "EUR"
"""The demo's SuiteCRM keeps amounts in euros, as Tryton's company does (the connection's option)."""

PRODUCTS: list[dict[str, Any]] = [
    {
        "code": code,
        "name": name,
        "description": f"{name} — demo catalogue",
        "default_uom": unit,
        "list_price": Decimal(price),
        "cost_price": Decimal(cost),
        "cost_price_method": method,
    }
    for code, name, unit, price, cost, method in _PRODUCT_ROWS
]

QUOTE_CUSTOMER = "北京华信科技有限公司"  # the accepted estimate's account (synced from the ERP)
QUOTE_LINES = (("PMP-100", "2"), ("SEN-T20", "10"))  # (product code, quantity)
COMPLAINT = {
    "customer": "Müller Maschinenbau GmbH",
    "name": "Pumpe KP-100 undicht / leaking pump",
    "description": "Die gelieferte Kreiselpumpe verliert Wasser an der Gleitringdichtung.",
    "status": "New",
    "priority": "High",
    "case_type": "Problem",
}
SUITECRM_COMPLAINT = {
    "customer": COMPLAINT["customer"],
    "name": COMPLAINT["name"],
    "description": COMPLAINT["description"],
    "status": "Open_New",
    "priority": "P1",
    "type": "Product",
}
CRMS = ("bottlecrm", "suitecrm")
# The customer edited on both sides (the same field, different values) to open a conflict.
CONFLICT_CUSTOMER = "Société Générale d'Équipement"
CONFLICT_VALUES = {"erp": "Société Générale d'Équipement SA", "crm": "Société Générale d'Équipement (SGE)"}


def config_document(workdir: Path, crm: str = "bottlecrm") -> dict[str, Any]:
    """The demo's ``synchub.yaml``: Tryton as ``erp``, ``crm`` (BottleCRM or SuiteCRM), the five flows."""
    crm_system: dict[str, Any] = {"connector": crm, "connection": CRM_CONNECTION}
    if crm == "suitecrm":
        crm_system["options"] = {"currency": SUITECRM_CURRENCY}
    return {
        "version": 1,
        "state": {"url": f"sqlite:///{Path(workdir).resolve() / 'state.db'}"},
        "systems": {
            "erp": {
                "connector": "tryton",
                "connection": ERP_CONNECTION,
                "options": {"accept_warnings": True},
            },
            "crm": crm_system,
        },
        "flows": {
            "customers": {
                "entity": "customer",
                "erp": "erp",
                "crm": "crm",
                "direction": "both",
                "match_keys": [["tax_id"], ["name"]],
                "field_owners": {
                    "credit_limit": "erp",
                    "payment_terms": "erp",
                    "tax_id": "erp",
                    "contacts": "crm",
                },
                "conflict_policy": "manual",
            },
            "products": {
                "entity": "product",
                "erp": "erp",
                "crm": "crm",
                "direction": "erp_to_crm",
                "match_keys": [["sku"]],
            },
            "orders": {
                "entity": "sales_order",
                "erp": "erp",
                "crm": "crm",
                "direction": "both",
                "match_keys": [["quote_reference"]],
                "field_owners": {
                    **dict.fromkeys(("number", "status", "delivery_status", "invoice_status"), "erp"),
                    **dict.fromkeys(
                        ("customer_id", "quote_reference", "currency", "order_date", "lines", "total"), "crm"
                    ),
                },
                "depends_on": ["customers", "products"],
            },
            "costs": {
                "entity": "product_cost",
                "erp": "erp",
                "crm": "crm",
                "direction": "erp_to_crm",
                "match_keys": [["product_id"]],
                "depends_on": ["products"],
            },
            "complaints": {
                "entity": "complaint",
                "erp": "erp",
                "crm": "crm",
                "direction": "both",
                "match_keys": [["customer_id", "subject"]],
                "depends_on": ["customers"],
            },
        },
    }
