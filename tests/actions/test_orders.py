"""Order answers from the database: status, cancellation, returns, refunds."""

from __future__ import annotations

from sqlalchemy import func, select

from actions.orders import ActionSubmitOrderForm
from actions.support import ActionHandleAffirm
from kefu.shop import queries as shop
from tests.actions.conftest import (
    assert_one_language,
    make_tracker,
    rendered,
    responses,
    run,
    slot_events,
)


def _submit(domain, case, goal, *, token=None, contact=None, language="zh", **slots):
    metadata = {"customer_token": token} if token else {}
    tracker = make_tracker(
        "ok",
        slots={
            "order_id": case.order_id,
            "order_goal": goal,
            "order_contact": contact,
            "language": language,
            **slots,
        },
        metadata=metadata,
    )
    return run(ActionSubmitOrderForm(), tracker, domain)


def test_status_answers_from_the_database_in_the_customers_language(domain, shop_cases, token_for):
    case = shop_cases["shipped"]
    order = shop.get_order(case.order_id, customer_id=case.customer_id)
    for language in ("zh", "en"):
        messages, events = _submit(
            domain, case, "status", token=token_for(case.customer_id), language=language
        )
        assert responses(messages) == ["utter_order_shipped"]
        assert messages[0]["tracking_number"] == order.tracking_number
        assert messages[0]["expected_date"] == order.expected_delivery.isoformat()
        texts = rendered(messages, domain, language)
        assert order.tracking_number in texts[0]
        assert_one_language(texts, language)
        assert slot_events(events)["resolved"] is True


def test_each_status_has_its_answer(domain, shop_cases, token_for):
    for status in ("paid", "delivered", "cancelled", "returned"):
        case = shop_cases[status]
        messages, _ = _submit(domain, case, "status", token=token_for(case.customer_id))
        assert responses(messages) == [f"utter_order_{status}"], status


def test_visitor_with_matching_email_gets_the_status(domain, shop_cases):
    case = shop_cases["shipped"]
    messages, _ = _submit(domain, case, "status", contact=case.email, language="en")
    assert responses(messages) == ["utter_order_shipped"]


def test_nothing_private_without_proof(domain, shop_cases, token_for):
    case = shop_cases["shipped"]
    other = shop_cases["paid"]
    private = shop.get_order(case.order_id, customer_id=case.customer_id).tracking_number
    attempts = [
        {},  # no proof at all
        {"contact": "someone@example.com"},  # wrong email
        {"token": token_for(other.customer_id)},  # another customer's token
        {"token": "eyJhbGciOiJIUzI1NiJ9.e30.forged"},  # forged token
        {"customer_id": case.customer_id},  # a slot claiming the owner
    ]
    for attempt in attempts:
        messages, events = _submit(domain, case, "status", **attempt)
        assert responses(messages) == ["utter_order_not_verified"], attempt
        assert all(private not in str(m) for m in messages)
        assert slot_events(events)["order_id"] is None


def test_cancel_asks_first_then_cancels_and_opens_a_refund(domain, new_paid_order, token_for):
    case = new_paid_order
    token = token_for(case.customer_id)
    messages, events = _submit(domain, case, "cancel", token=token)
    assert responses(messages) == ["utter_confirm_cancel"]
    assert slot_events(events) == {
        "return_item": None,
        "return_reason": None,
        "pending_confirmation": f"cancel:{case.order_id}",
    }
    assert shop.get_order(case.order_id, customer_id=case.customer_id).status == "paid"

    confirm = make_tracker(
        "是的",
        intent="affirm",
        slots={"pending_confirmation": f"cancel:{case.order_id}"},
        metadata={"customer_token": token},
    )
    messages, events = run(ActionHandleAffirm(), confirm, domain)
    assert responses(messages) == ["utter_cancel_done"]
    assert shop.get_order(case.order_id, customer_id=case.customer_id).status == "cancelled"
    refunds = shop.refunds_for(case.order_id)
    assert refunds and refunds[-1].status == "pending"
    assert slot_events(events)["pending_confirmation"] is None


def test_cancel_confirmation_rechecks_identity(domain, new_paid_order):
    case = new_paid_order
    confirm = make_tracker(
        "yes", intent="affirm", slots={"pending_confirmation": f"cancel:{case.order_id}"}
    )
    messages, _ = run(ActionHandleAffirm(), confirm, domain)
    assert responses(messages) == ["utter_order_not_verified"]
    assert shop.get_order(case.order_id, customer_id=case.customer_id).status == "paid"


def test_shipped_or_delivered_orders_cannot_be_cancelled(domain, shop_cases, token_for):
    for key, response in (
        ("shipped", "utter_cannot_cancel_shipped"),
        ("delivered", "utter_cannot_cancel_delivered"),
        ("cancelled", "utter_cannot_cancel_cancelled"),
    ):
        case = shop_cases[key]
        messages, events = _submit(domain, case, "cancel", token=token_for(case.customer_id))
        assert responses(messages) == [response]
        assert "pending_confirmation" not in slot_events(events)


def _count_returns() -> int:
    from kefu.shop import session_scope
    from kefu.shop.models import ReturnRequest

    with session_scope() as s:
        return int(s.scalar(select(func.count(ReturnRequest.id))))


def test_return_is_repeated_and_created_only_once_confirmed(domain, new_delivered_order):
    from actions.support import ActionHandleDeny
    from kefu.shop import session_scope
    from kefu.shop.models import ReturnRequest

    case = new_delivered_order  # its own order: the shared demo orders keep their lines open
    order = shop.get_order(case.order_id, customer_id=case.customer_id)
    line = order.lines[0]
    slots = {"return_item": f"line:{line.id}", "return_reason": "size", "return_note": "too big"}
    before = _count_returns()
    messages, events = _submit(domain, case, "return", contact=case.email, language="en", **slots)
    # the return is repeated (order, item, reason, refund) and nothing is written yet
    assert responses(messages) == ["utter_confirm_return"]
    assert messages[0]["order_id"] == order.id and line.name_en in messages[0]["item"]
    assert messages[0]["reason"] == "wrong size (too big)"
    assert messages[0]["amount"] == f"¥{(line.unit_price * line.quantity):.2f}"
    assert slot_events(events) == {"pending_confirmation": f"return:{order.id}"}
    assert _count_returns() == before
    pending = {**slots, "pending_confirmation": f"return:{order.id}"}
    base = {"order_id": order.id, "order_contact": case.email, "language": "en"}
    # "no": nothing is filed and the collected item and reason are forgotten
    messages, events = run(
        ActionHandleDeny(), make_tracker("no", intent="deny", slots={**base, **pending}), domain
    )
    assert responses(messages) == ["utter_return_not_filed"]
    assert slot_events(events)["return_item"] is None and _count_returns() == before
    # "yes": the return is created with the reason label and the customer's words
    messages, events = run(
        ActionHandleAffirm(),
        make_tracker("yes", intent="affirm", slots={**base, **pending}),
        domain,
    )
    assert responses(messages) == ["utter_return_created"]
    assert messages[0]["item"] == line.name_en
    with session_scope() as s:
        row = s.get(ReturnRequest, messages[0]["return_id"])
        assert (row.order_id, row.order_line_id, row.reason) == (
            order.id,
            line.id,
            "wrong size (too big)",
        )
    assert slot_events(events)["pending_confirmation"] is None
    # the same item again: refused, nothing written
    before = _count_returns()
    messages, _ = run(
        ActionHandleAffirm(),
        make_tracker("yes", intent="affirm", slots={**base, **pending}),
        domain,
    )
    assert responses(messages) == ["utter_return_refused_already_returned"]
    assert _count_returns() == before


def test_return_refusals_give_the_reason(domain, shop_cases, token_for):
    for key, response in (
        ("delivered_old", "utter_return_refused_window_closed"),
        ("shipped", "utter_return_refused_not_delivered"),
        ("cancelled", "utter_return_refused_cancelled"),
    ):
        case = shop_cases[key]
        messages, _ = _submit(domain, case, "return", token=token_for(case.customer_id))
        assert responses(messages) == [response], key
    messages, _ = _submit(
        domain,
        shop_cases["delivered_old"],
        "return",
        token=token_for(shop_cases["delivered_old"].customer_id),
        language="en",
    )
    assert messages[0]["deadline"] and messages[0]["days"] == shop.return_window_days()
    assert_one_language(rendered(messages, domain, "en"), "en")


def test_refund_status_lists_the_refunds(domain, shop_cases, token_for):
    case = shop_cases["refunded"]
    messages, _ = _submit(domain, case, "refund", token=token_for(case.customer_id), language="en")
    assert responses(messages) == ["utter_refund_status"]
    amount = shop.refunds_for(case.order_id)[0].amount
    assert f"{amount:.2f}" in messages[0]["refunds"]
    case = shop_cases["shipped"]
    messages, _ = _submit(domain, case, "refund", token=token_for(case.customer_id))
    assert responses(messages) == ["utter_no_refund"]
