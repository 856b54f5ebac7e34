"""The outbox against the real Rasa server: what a dead site left in its journal is written
once and in order; ids given before the tracker has the events stay theirs."""

from __future__ import annotations

import asyncio
import secrets

from web.chat import RasaClient
from web.outbox import Item, Journal, Outbox
from web.transcript import messages


def _bot(conv: str, n: int, text: str) -> dict:
    return {
        "event": "bot",
        "text": text,
        "data": {},
        "metadata": {"agent": {"id": 1, "name": "A"}, "kefu_id": f"{conv}:{n}"},
    }


def test_a_journal_left_by_a_dead_site_is_written_once_in_order(api_rasa_server, tmp_path):
    conv = f"outbox-{secrets.token_hex(6)}"

    async def scenario() -> None:
        rasa = RasaClient(api_rasa_server.url, api_rasa_server.token)
        await rasa.start()
        try:
            start = len(await rasa.events(conv))
            left = [_bot(conv, start + k, f"left {k}") for k in range(3)]
            # the dead site had appended the first one but not yet forgotten it
            await rasa.append(conv, left[:1])
            journal = Journal(tmp_path)
            journal.add(
                [
                    Item(conv, "bot", e["metadata"]["kefu_id"], start + k, e)
                    for k, e in enumerate(left)
                ]
            )
            journal.close()

            outbox = Outbox(rasa, tmp_path)
            await outbox.start()
            assert await outbox.drain(conv, 60)
            # new replies: ids after the journal's, pushed before the tracker has them
            new = [await outbox.submit(conv, "bot", _bot(conv, 0, f"new {k}")) for k in (0, 1)]
            ids = [i.message_id for i in new]
            early = messages(conv, await outbox.read(conv, wait=0))
            assert [m["text"] for m in early][-2:] == ["new 0", "new 1"]
            assert await outbox.drain(conv, 60)
            await outbox.close()
            assert Journal(tmp_path).pending() == []

            events = await rasa.events(conv)
            texts = [e.get("text") for e in events if e.get("event") == "bot"]
            assert texts == ["left 0", "left 1", "left 2", "new 0", "new 1"]
            shown = messages(conv, events)
            assert [m["id"] for m in shown][-2:] == ids
            assert [m["id"] for m in shown][:3] == [e["metadata"]["kefu_id"] for e in left]
            order = [int(m["id"].rsplit(":", 1)[1]) for m in shown]
            assert order == sorted(order) and len(set(order)) == len(order)
        finally:
            await rasa.close()

    asyncio.run(scenario())


def test_what_the_bot_understood_follows_each_customer_message(api_rasa_server, bot_env, tmp_path):
    """One message sent alone is read back as the tracker's latest message; messages sent
    back to back are found among the events. Each gets its own parse, once."""
    conv = f"outbox-{secrets.token_hex(6)}"
    heard: list[tuple[str, dict]] = []

    async def understood(conv_id: str, events: list, items: list) -> None:
        by_id = {(e.get("metadata") or {}).get("kefu_id"): e for e in events}
        for item in items:
            event = by_id[item.message_id]
            heard.append((event["text"], event["parse_data"]))

    async def scenario() -> None:
        secret = bot_env["KEFU_CHANNEL_SECRET"]
        rasa = RasaClient(api_rasa_server.url, api_rasa_server.token, channel_secret=secret)
        await rasa.start()
        outbox = Outbox(rasa, tmp_path, understood)
        await outbox.start()
        try:
            user = {"event": "user", "metadata": {}}
            await outbox.submit(conv, "user", {**user, "text": "where is my order"})
            assert await outbox.drain(conv, 60)
            assert [t for t, _ in heard] == ["where is my order"]
            together = ["I want a refund", "这个太差了，我要退货"]
            await asyncio.gather(
                *(outbox.submit(conv, "user", {**user, "text": t}) for t in together)
            )
            assert await outbox.drain(conv, 60)
            assert [t for t, _ in heard] == ["where is my order", *together]
            for _text, parse in heard:
                assert parse["intent"]["name"] and "sentiment" in parse
        finally:
            await outbox.close()
            await rasa.close()

    asyncio.run(scenario())
