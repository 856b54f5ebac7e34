"""The validation action's responses rendered after its own slot events, against Rasa's own."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from rasa.core.actions.action import ActionExtractSlots
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from kefu import rasa_patches, rasa_validation

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def installed():
    rasa_patches.install()


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "bot" / "domain"))


def _call(
    domain: Domain, answer: dict[str, Any], action: str, own: bool, language: str = "zh"
) -> tuple[list[Any], list[dict[str, Any]]]:
    """Run ``action`` through kefu's or Rasa's ``_run_custom_action`` against a loopback
    action server answering ``answer``; return the events and the bodies it received."""
    body = json.dumps(answer).encode()
    received: list[dict[str, Any]] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )
        raw = await reader.readexactly(length)
        received.append(json.loads(raw) if not raw.startswith(b"x") else {})
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()

    async def scenario() -> list[Any]:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        tracker = DialogueStateTracker("c-validate", domain.slots)
        tracker.update(SlotSet("language", language))
        tracker.update(UserUttered("still not here, awful", {"name": "complaint"}))
        extract = ActionExtractSlots(EndpointConfig(f"http://127.0.0.1:{port}/webhook"))
        run = rasa_validation.run_custom_action if own else rasa_validation.RASA_RUN_CUSTOM_ACTION
        nlg = TemplatedNaturalLanguageGenerator(domain.responses)
        async with server:
            events = await run(extract, action, CollectingOutputChannel(), nlg, tracker, domain)
        assert tracker.get_slot("language") == language  # the live tracker is not touched
        return events

    return asyncio.run(scenario()), received


def _texts(domain: Domain, response: str, language: str) -> set[str]:
    return {
        v["text"]
        for v in domain.responses[response]
        if any(c.get("value") == language for c in v.get("condition") or [])
    }


def test_the_installed_method_is_kefus():
    assert ActionExtractSlots._run_custom_action is rasa_validation.run_custom_action


def test_the_empathy_is_rendered_in_the_language_the_action_sets(domain):
    answer = {
        "events": [
            {"event": "slot", "name": "pending_confirmation", "value": "handoff"},
            {"event": "slot", "name": "language", "value": "en"},
        ],
        "responses": [{"response": "utter_empathy"}, {"response": "utter_offer_handoff"}],
    }
    ours, _ = _call(domain, answer, "action_validate_slot_mappings", own=True)
    rasas, _ = _call(domain, answer, "action_validate_slot_mappings", own=False)
    # Rasa renders with the slots as they were before the call (Chinese); kefu after (English)
    assert rasas[0].text in _texts(domain, "utter_empathy", "zh")
    assert ours[0].text in _texts(domain, "utter_empathy", "en")
    assert ours[1].text in _texts(domain, "utter_offer_handoff", "en")
    # the rest is the same: the same events in the same order, the same response names
    assert [type(e) for e in ours] == [type(e) for e in rasas] == [BotUttered] * 2 + [SlotSet] * 2
    assert ours[2:] == rasas[2:]
    assert [e.metadata.get("utter_action") for e in ours[:2]] == [
        e.metadata.get("utter_action") for e in rasas[:2]
    ]
    assert ours[0].metadata["condition"][0]["value"] == "en"
    assert ours[1].data["buttons"] != rasas[1].data["buttons"]  # English titles


@pytest.mark.parametrize(
    "answer",
    [
        {"events": [], "responses": [{"response": "utter_empathy"}]},
        {"events": [{"event": "slot", "name": "customer_id", "value": None}], "responses": []},
        {
            "events": [{"event": "slot", "name": "language", "value": "zh"}],
            "responses": [{"text": "plain text"}, {"response": "utter_offer_handoff"}],
        },
        # disallowed events are dropped the same way
        {"events": [{"event": "followup", "name": "action_listen"}], "responses": []},
    ],
)
def test_without_a_language_change_the_events_are_rasas(domain, answer):
    for action in ("action_validate_slot_mappings", "action_some_mapping"):
        ours, sent_ours = _call(domain, answer, action, own=True)
        rasas, sent_rasas = _call(domain, answer, action, own=False)
        assert _plain(ours) == _plain(rasas), action
        assert _drop_times(sent_ours) == _drop_times(sent_rasas)


def _plain(events: list[Any]) -> list[Any]:
    # utter_empathy has two variants per language, chosen at random: compare the language
    out = []
    for e in events:
        if isinstance(e, BotUttered):
            out.append(("bot", e.metadata.get("utter_action"), "您" in (e.text or "")))
        else:
            out.append(e)
    return out


def _drop_times(bodies: list[dict[str, Any]]) -> list[Any]:
    """The bodies with every time stamp set to 0 (each call builds its tracker anew)."""

    def zero(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: 0 if k in ("timestamp", "latest_event_time") else zero(v)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [zero(v) for v in value]
        return value

    return [json.dumps(zero(bodies), sort_keys=True)]
