"""Natural keys, record hashes and the matching index."""

from __future__ import annotations

from merge_records import customer

from sync_engine.identity import KeyIndex, natural_key, natural_keys, normalise, record_hash


def test_normalise_folds_case_width_and_whitespace() -> None:
    assert normalise("  ACME\t  GmbH ") == "acme gmbh"
    assert normalise("\uff21\uff23\uff2d\uff25 \uff11\uff12\uff13") == "acme 123"  # full-width forms
    assert normalise("Straße") == normalise("STRASSE")
    assert normalise("株式会社\u3000山田") == "株式会社 山田"  # ideographic space
    assert normalise("شركة  النور") == "شركة النور"
    assert normalise(None) == "" and normalise(42) == "42"


def test_natural_key_follows_dotted_paths_into_lists() -> None:
    record = customer(tax_id=" de 123 ")
    assert natural_key(record, ["tax_id"]) == ("de 123",)
    assert natural_key(record, ["contacts.0.email", "name"]) == ("m.ali@example.com", "株式会社 山田商事")
    assert natural_key(record, ["credit_limit.currency"]) == ("jpy",)


def test_natural_key_is_none_when_any_part_is_empty() -> None:
    record = customer(tax_id="  ", contacts=[])
    assert natural_key(record, ["tax_id"]) is None
    assert natural_key(record, ["contacts.0.email"]) is None
    assert natural_key(record, ["name", "legal_form"]) is None
    assert natural_key(record, ["name.deeper"]) is None


def test_natural_keys_lists_every_rule_that_applies_in_order() -> None:
    record = customer(tax_id="DE123", name="ACME GmbH")
    rules = [["tax_id"], ["legal_form"], ["name", "addresses.0.city"]]
    assert natural_keys(record, rules) == [
        ("tax_id", ("de123",)),
        ("name+addresses.0.city", ("acme gmbh", "東京")),
    ]


def test_record_hash_ignores_key_order_and_sees_every_change() -> None:
    record = customer()
    assert record_hash(record) == record_hash(dict(reversed(list(record.items()))))
    assert record_hash(record) != record_hash({**record, "payment_terms": "31 days"})
    assert len(record_hash(record)) == 32


def test_key_index_returns_every_candidate_of_the_first_rule_that_matches() -> None:
    rules = [["tax_id"], ["name"]]
    index = KeyIndex.build(
        [
            ("c1", customer(tax_id="DE1", name="ACME")),
            ("c2", customer(tax_id="DE2", name="acme")),
            ("c3", customer(tax_id=None, name="Other")),
        ],
        rules,
    )
    assert index.match(natural_keys(customer(tax_id="de1", name="Acme"), rules)) == ["c1"]
    assert index.match(natural_keys(customer(tax_id=None, name=" ACME "), rules)) == ["c1", "c2"]
    assert index.match(natural_keys(customer(tax_id="DE1", name="Acme"), rules), mode="all") == ["c1", "c2"]
    assert index.match(natural_keys(customer(tax_id="XX", name="nobody"), rules)) == []
