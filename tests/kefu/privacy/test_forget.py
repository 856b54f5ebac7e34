"""``kefu export-data``, ``kefu forget`` and ``kefu purge`` on SQLite and PostgreSQL.

The erasure test searches every text column of every table (the shop's and the tracker
store's) for the customer's e-mail and phone number afterwards.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from kefu.cli import main
from kefu.privacy import forget
from kefu.shop.db import session_scope
from kefu.shop.demo import build_demo
from kefu.shop.models import Customer, Order, Review, Ticket
from kefu.shop.queries import create_ticket, store_csat
from kefu.trackers import KefuTrackerStore

DOMAIN = Domain.from_dict(
    {
        "intents": ["greet"],
        "slots": {
            "customer_id": {
                "type": "any",
                "influence_conversation": False,
                "mappings": [{"type": "custom"}],
            }
        },
    }
)
SIZES = {"customers": 20, "order_lines": 120, "reviews": 40}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def urls(request, tmp_path, monkeypatch):
    """(shop URL, tracker URL), set in the environment for the ``kefu`` commands."""
    if request.param == "sqlite":
        shop, tracker = f"sqlite:///{tmp_path / 'shop.db'}", f"sqlite:///{tmp_path / 'tracker.db'}"
    else:
        shop = tracker = request.getfixturevalue("postgres_url")  # one database, both stores
    monkeypatch.setenv("KEFU_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("KEFU_DATABASE_URL", shop)
    monkeypatch.setenv("KEFU_TRACKER_URL", tracker)
    build_demo(shop, seed=7, progress=False, **SIZES)
    return shop, tracker


def _conversation(store, sender, customer_id, texts, at=None):
    at = at or time.time()
    tracker = DialogueStateTracker.from_events(
        sender, [SlotSet("customer_id", customer_id, timestamp=at)], DOMAIN.slots
    )
    for i, text in enumerate(texts):
        tracker.update(UserUttered(text, {"name": "greet"}, timestamp=at + i))
        tracker.update(BotUttered(f"reply {i}", timestamp=at + i))
        tracker.update(ActionExecuted("action_listen", timestamp=at + i))
    asyncio.run(store.save(tracker))


def _people(shop):
    with session_scope(shop) as s:
        people = list(
            s.scalars(
                sa.select(Customer)
                .join(Order, Order.customer_id == Customer.id)
                .join(Review, Review.customer_id == Customer.id)
                .distinct()
                .order_by(Customer.id)
            )
        )
        return [(c.id, c.email, c.phone) for c in people[:2]]


def _ticket_notes(shop, ticket_id, text):
    """A private note by an agent on the ticket (the agent console's notes, revision 0002)."""
    from kefu.shop.queries import staff, support

    agent = staff.add_staff(f"agent-{ticket_id}@example.com", "Agent", "agent", "x", url=shop)
    support.add_note(ticket_id, agent.id, text, url=shop)


def _search(url, needles):
    """(table, column) pairs of every text column holding one of ``needles``."""
    engine = sa.create_engine(url)
    found = []
    inspector = sa.inspect(engine)
    with engine.connect() as conn:
        for table_name in inspector.get_table_names():
            table = sa.Table(table_name, sa.MetaData(), autoload_with=engine)
            for column in table.c:
                if not isinstance(column.type, sa.String | sa.Text):
                    continue
                for needle in needles:
                    hit = conn.execute(
                        sa.select(sa.func.count()).where(column.contains(needle, autoescape=True))
                    ).scalar()
                    if hit:
                        found.append((table_name, column.name, needle))
    engine.dispose()
    return found


def test_export_then_forget_leaves_no_trace_of_the_customer(urls, tmp_path, capsys):
    shop, tracker_url = urls
    (cid, email, phone), (other_id, other_email, other_phone) = _people(shop)
    store = KefuTrackerStore(domain=DOMAIN, host=tracker_url)
    said = [f"my e-mail is {email}", f"call me on {phone}"]
    _conversation(store, "conv-signed-in", cid, said)
    _conversation(store, "conv-other", other_id, [f"I am {other_email}"])
    store.engine.dispose()
    ticket = create_ticket(
        "conv-by-ticket", cid, "en", "refund", [{"from": "customer", "text": said[1]}], url=shop
    )
    store_csat("conv-signed-in", cid, "en", 2, url=shop)
    _ticket_notes(shop, ticket, f"customer wrote from {email}")
    with session_scope(shop) as s:
        review = s.scalars(sa.select(Review).where(Review.customer_id == cid)).first()
        review.text = review_text = f"great, text me at {phone}"
        orders = {o.id for o in s.scalars(sa.select(Order).where(Order.customer_id == cid))}
    assert _search(shop, [email, phone]) and _search(tracker_url, [email, phone])

    out = tmp_path / "export.json"
    assert main(["export-data", "--customer", cid, "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["profile"]["email"] == email and data["profile"]["phone"] == phone
    assert {o["id"] for o in data["orders"]} == orders
    assert all(o["lines"] for o in data["orders"])
    assert {"returns", "refunds"} <= set(data["orders"][0])
    assert any(r["text"] == review_text for r in data["reviews"])
    assert [t["id"] for t in data["tickets"]] == [ticket]
    assert data["tickets"][0]["ticket_notes"][0]
    assert data["csat"][0]["score"] == 2
    conv = {c["id"]: c["messages"] for c in data["conversations"]}
    assert set(conv) == {"conv-signed-in"}  # the ticket's conversation has no events
    assert [m["text"] for m in conv["conv-signed-in"] if m["from"] == "customer"] == said
    assert other_email not in out.read_text()
    assert out.stat().st_mode & 0o077 == 0

    assert main(["forget", "--customer", cid]) == 0
    assert "forgot" in capsys.readouterr().out
    assert _search(shop, [email, phone]) == []
    assert _search(tracker_url, [email, phone]) == []
    with session_scope(shop) as s:
        kept = list(s.scalars(sa.select(Order).where(Order.customer_id == cid)))
        assert {o.id for o in kept} == orders  # orders stay for the accounts...
        assert all(o.shipping_address == "" for o in kept)  # ...without the address
        customer = s.get(Customer, cid)
        assert (customer.name, customer.phone, customer.city) == ("", "", "")
        assert s.scalars(sa.select(Ticket).where(Ticket.customer_id == cid)).first() is None
        assert all(
            r.text == "" for r in s.scalars(sa.select(Review).where(Review.customer_id == cid))
        )
        assert s.get(Customer, other_id).email == other_email  # nobody else touched
    assert _search(tracker_url, [other_email])  # the other conversation stays
    assert main(["forget", "--customer", cid]) == 0  # idempotent
    assert main(["forget", "--customer", "NOBODY"]) == 1


def test_a_failing_tracker_store_leaves_the_shop_untouched(urls, tmp_path):
    shop, _ = urls
    (cid, email, _phone), _ = _people(shop)
    broken = f"sqlite:///{tmp_path / 'missing-dir' / 'tracker.db'}"
    with pytest.raises(sa.exc.SQLAlchemyError):
        forget(cid, shop_url=shop, tracker_url=broken)
    with session_scope(shop) as s:
        assert s.get(Customer, cid).email == email


def test_purge_deletes_conversations_older_than_the_retention(urls, monkeypatch, capsys):
    shop, tracker_url = urls
    (cid, _email, _phone), (other_id, _, _) = _people(shop)
    store = KefuTrackerStore(domain=DOMAIN, host=tracker_url)
    old = time.time() - 40 * 86400
    _conversation(store, "conv-old", cid, ["old question"], at=old)
    _conversation(store, "conv-new", other_id, ["new question"])
    store.engine.dispose()
    old_ticket = create_ticket(
        "conv-old", cid, "en", "x", [{"from": "customer", "text": "old question"}], url=shop
    )
    new_ticket = create_ticket(
        "conv-new", other_id, "en", "x", [{"from": "customer", "text": "new question"}], url=shop
    )
    with session_scope(shop) as s:  # the old ticket was written when its conversation was
        s.get(Ticket, old_ticket).created_at = datetime.now() - timedelta(days=40)

    monkeypatch.delenv("KEFU_RETENTION_DAYS", raising=False)
    assert main(["purge"]) == 1  # no retention set: says so, deletes nothing
    monkeypatch.setenv("KEFU_RETENTION_DAYS", "30")
    assert main(["purge"]) == 0
    assert "purged 1 conversations" in capsys.readouterr().out
    assert _search(tracker_url, ["old question"]) == []
    assert _search(tracker_url, ["new question"])
    with session_scope(shop) as s:
        assert s.get(Ticket, old_ticket).transcript == "[]"
        assert "new question" in s.get(Ticket, new_ticket).transcript
    monkeypatch.setenv("KEFU_RETENTION_DAYS", "soon")
    assert main(["purge"]) == 1
