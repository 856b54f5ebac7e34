"""The domain: every reply exists in both languages, and actions and domain agree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "bot" / "domain"))


def test_every_response_has_one_variation_per_language_and_no_mixing(domain):
    for name, variations in domain.responses.items():
        languages = set()
        for v in variations:
            conditions = v.get("condition") or []
            assert [c["name"] for c in conditions] == ["language"], name
            lang = conditions[0]["value"]
            languages.add(lang)
            shown = [v.get("text", "")] + [b["title"] for b in v.get("buttons") or []]
            for text in shown:
                if lang == "en":
                    assert not CJK.search(text), (name, text)
                else:
                    assert CJK.search(text) or text.strip().startswith("⭐"), (name, text)
        assert languages == {"zh", "en"}, name


def test_actions_use_only_responses_of_the_domain(domain):
    used = set()
    for path in (ROOT / "actions").rglob("*.py"):
        used |= set(re.findall(r'response="(utter_\w+)"', path.read_text(encoding="utf-8")))
        for prefix in re.findall(r'response=f"(utter_\w+)_\{', path.read_text(encoding="utf-8")):
            used |= {r for r in domain.responses if r.startswith(prefix + "_")}
    assert used, "no responses found in actions/"
    assert used <= set(domain.responses), used - set(domain.responses)
    for status in ("paid", "shipped", "delivered", "cancelled", "returned"):
        assert f"utter_order_{status}" in domain.responses
        assert f"utter_cannot_cancel_{status}" in domain.responses
    for reason in ("not_delivered", "cancelled", "already_returned", "window_closed", "not_found"):
        assert f"utter_return_refused_{reason}" in domain.responses


def test_every_custom_action_is_served_by_the_action_server(domain):
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    custom = [a for a in domain.user_actions if not a.startswith("utter_")]
    missing = [a for a in custom if a not in executor.actions]
    assert not missing
    assert "order_form" in domain.forms and "validate_order_form" in executor.actions


def test_identity_slots_cannot_be_filled_from_what_the_user_types(domain):
    for name in ("customer_id", "language"):
        slot = next(s for s in domain.slots if s.name == name)
        assert not slot.influence_conversation
        assert [m["type"] for m in slot.mappings] == ["custom"]
        # filled by action_validate_slot_mappings, the one call after each message
        assert "action" not in slot.mappings[0]
    assert "action_validate_slot_mappings" in domain.user_actions
    entity_slots = {
        s.name for s in domain.slots for m in s.mappings if m.get("type") == "from_entity"
    }
    assert "customer_id" not in entity_slots
    assert "customer_id" not in domain.entities


def test_responses_render_through_rasa_without_templating_errors(domain):
    """JSON in button payloads is escaped ({{...}}): Rasa renders it without logging errors.

    An unescaped ``{"entity":"value"}`` is taken for a slot placeholder: Rasa logs an
    error with a full traceback for each button each time the reply is sent.
    """
    import json

    import structlog
    from rasa.core.nlg.interpolator import interpolate

    # the values the actions pass: every {placeholder} of the texts
    values = {slot.name: "x" for slot in domain.slots}
    for variations in domain.responses.values():
        for variation in variations:
            values.update(dict.fromkeys(re.findall(r"{(\w+)}", variation.get("text", "")), "x"))
    payloads = 0
    with structlog.testing.capture_logs() as logs:
        for name, variations in domain.responses.items():
            for variation in variations:
                rendered = interpolate(dict(variation), values)
                for button in rendered.get("buttons") or []:
                    payload = button["payload"]
                    assert "{{" not in payload and "}}" not in payload, (name, payload)
                    if "{" in payload:
                        intent, _, entities = payload.partition("{")
                        assert intent.startswith("/") and intent[1:] in domain.intents
                        assert isinstance(json.loads("{" + entities), dict), (name, payload)
                        payloads += 1
    assert payloads, "no button with entities in the domain"
    assert [e for e in logs if e.get("log_level") in ("error", "exception")] == []
