"""The hand-off queue: one ticket per conversation, races, auto-assignment, positions."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from kefu.clock import utcnow
from kefu.shop import queries as shop
from kefu.shop.queries import queue, queue_stats
from kefu.shop.queries.staff import set_on_duty
from kefu.support import queue as service
from kefu.support.staff import add_account


def _agent(email: str, url: str, on_duty: bool = True) -> int:
    info = add_account(email, email.split("@")[0], "agent", "password-123", url=url)
    set_on_duty(info.id, on_duty, url=url)
    return info.id


def test_asking_twice_gives_one_ticket_and_positions_follow_arrival(support_db):
    first = service.hand_off("conv-1", None, "zh", "r", [], "asked", url=support_db)
    again = service.hand_off("conv-1", None, "zh", "r", [], "asked", url=support_db)
    second = service.hand_off("conv-2", None, "en", "r", [], "fallbacks", url=support_db)
    assert first.created and not again.created
    assert again.ticket_id == first.ticket_id
    assert (first.position, second.position) == (1, 2)
    assert first.agents_on_duty == 0 and first.expected_wait_s is None  # nobody on duty
    assert queue.get_ticket(second.ticket_id, url=support_db)["escalation_reason"] == "fallbacks"


def test_concurrent_hand_offs_of_one_conversation_make_one_ticket(support_db):
    ids: list[int] = []
    barrier = threading.Barrier(4)

    def go() -> None:
        barrier.wait()
        ids.append(shop.open_ticket("conv-race", None, "zh", "", [], url=support_db)[0])

    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 1 and len(ids) == 4


def test_auto_assignment_goes_to_the_least_busy_agent_up_to_the_cap(support_db, monkeypatch):
    monkeypatch.setenv("KEFU_AGENT_MAX_OPEN", "2")
    a = _agent("a@x.org", support_db)
    b = _agent("b@x.org", support_db)
    _agent("off@x.org", support_db, on_duty=False)
    owners = [
        queue.get_ticket(
            service.hand_off(f"c{i}", None, "zh", "", [], url=support_db).ticket_id, url=support_db
        )["assignee"]
        for i in range(5)
    ]
    assert [o["id"] if o else None for o in owners] == [a, b, a, b, None]
    waiting = service.current("c4", url=support_db)
    assert waiting.status == "pending" and waiting.position == 1
    assert waiting.expected_wait_s == queue_stats.DEFAULT_WAIT_S / 2  # two agents on duty


def test_claim_is_won_once_and_transfer_needs_the_owner(support_db):
    a, b = _agent("a@x.org", support_db, False), _agent("b@x.org", support_db, False)
    ticket = service.hand_off("conv", None, "zh", "", [], url=support_db).ticket_id
    assert queue.claim(ticket, a, url=support_db)["assignee"]["id"] == a
    assert queue.claim(ticket, b, url=support_db) is None
    assert queue.transfer(ticket, b, a, url=support_db) is None
    assert queue.transfer(ticket, a, b, url=support_db)["assignee"]["id"] == b
    until = utcnow() + timedelta(hours=1)
    assert queue.snooze(ticket, until, url=support_db)["status"] == "snoozed"
    woken = queue.customer_wrote("conv", url=support_db)  # a new message wakes it
    assert (woken["status"], woken["unread"]) == ("open", 1)
    assert queue.agent_replied(ticket, b, url=support_db)["unread"] == 0
    resolved = queue.resolve(ticket, b, url=support_db)
    assert resolved["status"] == "resolved" and resolved["resolved_by"] == b
    assert queue.resolve(ticket, b, url=support_db) is None  # once
    reopened = queue.reopen(ticket, "open", url=support_db)  # the bot could not take it back
    assert (reopened["status"], reopened["resolved_by"]) == ("open", None)
    assert queue.resolve(ticket, b, url=support_db)["status"] == "resolved"
    assert service.current("conv", url=support_db) is None
    # a later hand-off of the same conversation opens a new ticket
    assert service.hand_off("conv", None, "zh", "", [], url=support_db).ticket_id != ticket


def test_csat_after_an_agent_is_stored_with_the_agent_once(support_db):
    a = _agent("a@x.org", support_db, False)
    ticket = service.hand_off("conv", None, "zh", "", [], url=support_db).ticket_id
    queue.claim(ticket, a, url=support_db)
    bot_only = shop.store_csat("other", None, "zh", 3, url=support_db)
    queue.resolve(ticket, a, url=support_db)
    rated = shop.store_csat("conv", None, "zh", 5, url=support_db)
    again = shop.store_csat("conv", None, "zh", 4, url=support_db)
    from kefu.shop import Csat, session_scope

    with session_scope(support_db) as s:
        rows = {r.id: (r.agent_id, r.ticket_id) for r in s.query(Csat)}
    assert rows[bot_only] == (None, None)
    assert rows[rated] == (a, ticket)
    assert rows[again] == (None, None)


def test_bad_inputs_are_refused(support_db):
    with pytest.raises(ValueError):
        shop.open_ticket("c", None, "zh", "", [], escalation_reason="bored", url=support_db)
    with pytest.raises(ValueError):
        queue.list_tickets("everything", url=support_db)
    ticket = service.hand_off("c", None, "zh", "", [], url=support_db).ticket_id
    with pytest.raises(ValueError):
        queue.snooze(ticket, utcnow() - timedelta(minutes=1), url=support_db)
    with pytest.raises(ValueError):
        shop.save_canned_reply("Bad Shortcut", "好", "ok", None, url=support_db)


def test_a_customer_who_restarts_the_chat_keeps_one_ticket(support_db):
    """Restart + hand-off rounds (a flood, or a customer asking again in a new chat) never
    make a second unresolved ticket for a signed-in customer: it moves to the new chat."""
    from datetime import date

    from kefu.shop.db import session_scope
    from kefu.shop.models import Customer

    with session_scope(support_db) as s:
        s.add(
            Customer(
                id="C00001",
                name="Ann",
                email="ann@example.com",
                phone="13800000000",
                language="zh",
                city="Shanghai",
                signup_date=date(2026, 1, 1),
            )
        )
    first = service.hand_off("conv-r1", "C00001", "zh", "r", [], url=support_db)
    again = [
        service.hand_off(f"conv-r{i}", "C00001", "zh", "r", [], url=support_db)
        for i in range(2, 11)
    ]
    assert {h.ticket_id for h in again} == {first.ticket_id}
    assert not any(h.created for h in again)
    ticket = queue.get_ticket(first.ticket_id, url=support_db)
    assert ticket["conversation_id"] == "conv-r10" and ticket["status"] == "pending"
    assert service.current("conv-r10", url=support_db).ticket_id == first.ticket_id
    assert service.current("conv-r1", url=support_db) is None
    # visitors have no account to count: one ticket per conversation (and the rate limit)
    visitors = {
        service.hand_off(f"v{i}", None, "zh", "r", [], url=support_db).ticket_id for i in range(2)
    }
    assert len(visitors) == 2
    # once it is resolved, the customer may ask again
    queue.resolve(first.ticket_id, None, url=support_db)
    later = service.hand_off("conv-r11", "C00001", "zh", "r", [], url=support_db)
    assert later.created and later.ticket_id != first.ticket_id
