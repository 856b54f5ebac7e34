"""nlp.redact on the held-out labelled set in tests/data/privacy (written by a separate
author who did not see the implementation; scored by benchmarks.privacy_redaction)."""

from __future__ import annotations

import pytest

from benchmarks.privacy_redaction import BLIND, DATA, load, score


@pytest.fixture(scope="module")
def figures() -> dict:
    items = load()
    if not items:
        pytest.fail(f"the held-out set is missing from {DATA}")
    return score([item for lang_items in items.values() for item in lang_items])


def test_the_set_is_big_enough(figures):
    assert figures["items"] >= 500
    assert figures["negatives"] >= 100


@pytest.mark.parametrize("kind", ["id_card", "phone", "email", "bank_card"])
def test_recall_of_checkable_kinds_is_at_least_99_percent(figures, kind):
    assert figures["recall"][kind] >= 0.99, figures["missed"]


def test_address_recall_floor(figures):
    # Measured 0.985 (65/66) on 2026-12-02; the floor leaves room for a judgement call or two.
    assert figures["recall"]["address"] >= 0.95, figures["missed"]


def test_at_most_one_percent_of_negatives_changed(figures):
    assert figures["negatives_changed_pct"] <= 1.0, figures["negatives_changed_ids"]


@pytest.fixture(scope="module")
def blind() -> dict:
    items = load(BLIND)
    if not items:
        pytest.fail(f"the second held-out set is missing from {BLIND}")
    return score([item for lang_items in items.values() for item in lang_items])


@pytest.mark.parametrize("kind", ["id_card", "phone", "email", "bank_card"])
def test_the_blind_second_set_keeps_99_percent_recall(blind, kind):
    # written on 2026-12-03 by an author who saw neither the rules nor the first set;
    # scored once before any change: 100 % for each of these kinds
    assert blind["recall"][kind] >= 0.99, blind["missed"]


def test_the_blind_second_set_changes_at_most_one_percent_of_negatives(blind):
    assert blind["negatives"] >= 100
    assert blind["negatives_changed_pct"] <= 1.0, blind["negatives_changed_ids"]


def test_the_blind_second_set_address_floor(blind):
    # measured 0.784 (40/51) blind: Hong Kong / Taiwan addresses in traditional characters
    # and "人民南路四段" are the misses (noted for the next session; not tuned here)
    assert blind["recall"]["address"] >= 0.75, blind["missed"]
