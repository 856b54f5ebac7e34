"""Identity comes only from the token of the latest user message."""

from __future__ import annotations

from actions.services import identity
from tests.actions.conftest import make_tracker, user_event


def test_only_the_latest_user_message_counts(shop_cases, token_for):
    case = shop_cases["paid"]
    old = user_event("hi", "greet")
    old["metadata"] = {"customer_token": token_for(case.customer_id)}
    assert identity.verified_customer(make_tracker("orders", history=[old])) is None
    tracker = make_tracker("orders", metadata={"customer_token": token_for(case.customer_id)})
    assert identity.verified_customer(tracker) == case.customer_id


def test_malformed_metadata_is_anonymous():
    for metadata in (None, [], "token", {"customer_token": 42}, {"customer_token": "x" * 10000}):
        assert identity.customer_from_metadata(metadata) is None
