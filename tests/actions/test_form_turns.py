"""What the order form does with a message that fills none of its slots."""

from __future__ import annotations

from actions.form_turns import ActionFormDeny, ActionFormLeft, ActionFormRestate
from tests.actions.conftest import make_tracker, responses, run, slot_events


def _slot_history(**values):
    return [{"event": "slot", "name": k, "value": v} for k, v in values.items()]


def test_a_correction_forgets_only_the_latest_value(domain, shop_cases):
    case = shop_cases["shipped"]
    slots = {"order_id": case.order_id, "order_contact": "a@b.cn", "order_goal": "status"}
    history = _slot_history(order_id=case.order_id, order_contact="a@b.cn")
    for text in ("sorry, wrong number", "不对，搞错了"):
        tracker = make_tracker(
            text, intent="deny", slots=slots, history=history, active_loop="order_form"
        )
        messages, events = run(ActionFormDeny(), tracker, domain)
        assert responses(messages) == ["utter_form_correct"]
        assert slot_events(events) == {"order_contact": None}  # the order number stays
        assert not any(e.get("event") == "active_loop" for e in events)


def test_giving_up_leaves_the_form_with_a_confirmation(domain):
    for text, goal in (("算了", "return"), ("never mind", "cancel"), ("不退了", "return")):
        tracker = make_tracker(
            text, intent="deny", slots={"order_goal": goal}, active_loop="order_form"
        )
        messages, events = run(ActionFormDeny(), tracker, domain)
        assert responses(messages) == [f"utter_form_left_{goal}"]
        assert {"event": "active_loop", "name": None, "timestamp": None} in events
        assert slot_events(events)["return_item"] is None


def test_restating_the_request_says_what_the_form_is_doing(domain):
    for intent, goal in (("order_status", "status"), ("cancel_order", "cancel")):
        tracker = make_tracker("我的订单到哪了", intent=intent, slots={"order_goal": goal})
        messages, _ = run(ActionFormRestate(), tracker, domain)
        assert responses(messages) == [f"utter_form_restate_{goal}"]
    messages, _ = run(ActionFormRestate(), make_tracker("啊啊", intent="nlu_fallback"), domain)
    assert responses(messages) == ["utter_form_not_understood"]


def test_a_forgotten_number_gets_a_way_forward(domain, shop_cases, token_for):
    visitor = make_tracker("I don't know my order number", intent="order_status")
    messages, _ = run(ActionFormRestate(), visitor, domain)
    assert responses(messages) == ["utter_find_order_visitor"]
    case = shop_cases["delivered"]
    customer = make_tracker(
        "订单号忘了",
        intent="order_status",
        metadata={"customer_token": token_for(case.customer_id)},
    )
    messages, _ = run(ActionFormRestate(), customer, domain)
    assert responses(messages) == ["utter_find_order_customer"]
    assert any(case.order_id in b["payload"] for b in messages[0]["buttons"])


def test_a_return_policy_question_is_answered(domain):
    tracker = make_tracker(
        "what's your return policy?", intent="return_request", slots={"language": "en"}
    )
    messages, _ = run(ActionFormRestate(), tracker, domain)
    assert not responses(messages) and "30 days" in messages[0]["text"]


def test_leaving_for_another_request_confirms_it(domain):
    messages, events = run(ActionFormLeft(), make_tracker("推荐点东西", intent="recommend"), domain)
    assert responses(messages) == ["utter_form_paused"]
    assert slot_events(events)["return_reason"] is None


def test_the_form_reads_values_only_right_after_a_message():
    from actions.forms import _fresh

    listen = {"event": "action", "name": "action_listen"}
    user = {"event": "user", "text": "x"}
    form = {"event": "action", "name": "order_form"}

    def tracker(events):
        t = make_tracker("x")
        t.events = events
        return t

    assert _fresh(tracker([listen, user, form]))  # the form's own run comes first
    assert not _fresh(
        tracker([listen, user, {"event": "action", "name": "action_answer_faq"}, form])
    )


def test_a_corrected_number_after_an_answer_runs_the_request_again(domain):
    from actions.form_turns import correction_followup

    entities = [{"entity": "order_id", "value": "KF10000124"}]
    tracker = make_tracker(
        "不对，是 KF10000124", intent="deny", entities=entities, slots={"order_goal": "status"}
    )
    events = correction_followup(tracker)
    assert {"event": "followup", "name": "order_form", "timestamp": None} in events
    inform = make_tracker(
        "KF10000124", intent="inform", entities=entities, slots={"order_goal": "status"}
    )
    assert correction_followup(inform) is None  # a new number alone is not a correction
    assert (
        correction_followup(make_tracker("不对", intent="deny", slots={"order_goal": "status"}))
        is None
    )
