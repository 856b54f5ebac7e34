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


def test_a_bound_token_counts_only_in_its_conversation_and_open_session(shop_cases, shop_env):
    import uuid

    from kefu.identity import issue_token
    from kefu.shop import queries as shop

    case = shop_cases["paid"]
    sid = uuid.uuid4().hex
    shop.open_site_session(sid, case.customer_id, 600)
    token = issue_token(case.customer_id, 60, session_id=sid, conversation_id="web-mine")
    metadata = {"customer_token": token}
    assert identity.verified_customer(
        make_tracker("orders", metadata=metadata, sender_id="web-mine")
    ) == (case.customer_id)
    other = make_tracker("orders", metadata=metadata, sender_id="web-someone-else")
    assert identity.verified_customer(other) is None
    shop.close_site_session(sid)  # sign-out
    mine = make_tracker("orders", metadata=metadata, sender_id="web-mine")
    assert identity.verified_customer(mine) is None
