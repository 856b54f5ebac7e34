"""Play the held-out multi-turn conversations against the real bot and check what the
customer sees.

The conversations (``tests/data/dialogue/conversations_{zh,en}.yml``, format in the
README there) are played over the REST channel. Each conversation gets its own customer
with four fresh orders written into the demo shop before it starts (a paid order, a late
shipped one, a two-item order delivered a few days ago, a returned and refunded one), so
conversations that cancel or return do not change what the next one finds; a
``login: customer`` conversation sends that customer's signed token with every message.

Every ``expect`` key of the README is checked; a conversation succeeds when every turn
got a reply and met all its expectations.
"""

from __future__ import annotations

import hashlib
import re
import statistics
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "dialogue"
PRODUCT_TAGS = ("constraint.", "refine.", "nothing_matches")
Send = Callable[[str, str, dict[str, Any] | None], list[dict[str, Any]]]


def load(lang: str) -> list[dict[str, Any]]:
    """The conversations of one language."""
    return yaml.safe_load((DATA / f"conversations_{lang}.yml").read_text(encoding="utf-8"))


def is_product_conversation(conv: dict[str, Any]) -> bool:
    """Whether the conversation is about product suggestions and searches."""
    return str(conv["behaviour"]).startswith(PRODUCT_TAGS)


@dataclass
class Result:
    """Outcome of one conversation."""

    id: str
    lang: str
    behaviour: str
    ok: bool
    # some turn expects product cards (suggestions and searches, another piece of work)
    needs_products: bool = False
    failures: list[str] = field(default_factory=list)
    transcript: list[dict[str, Any]] = field(default_factory=list)


def _brand_zh() -> dict[str, str]:
    import json

    catalog = json.loads((ROOT / "data" / "demo" / "catalog.json").read_text(encoding="utf-8"))
    return {en: zh for c in catalog["categories"].values() for zh, en in c["brands"]}


def make_fixture(url: str, lang: str, key: str) -> dict[str, str]:
    """A new customer with a fresh order in each state; returns the placeholder values.

    The numbers and addresses come from ``key`` (the conversation id), so a run is
    repeatable: the same conversation always meets the same order numbers.
    """
    from sqlalchemy import select

    from kefu.shop import session_scope
    from kefu.shop.models import Customer, Order, OrderLine, Product, Refund, ReturnRequest

    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()
    n = int(digest[6:10], 16) % 9973 + 1
    tag = digest[:6]
    now = datetime.now().replace(microsecond=0)
    with session_scope(url) as s:
        products = s.scalars(select(Product).where(Product.stock > 0).order_by(Product.id)).all()
        by_category: dict[str, list[Product]] = {}
        for p in products:
            by_category.setdefault(p.category, []).append(p)
        cats = sorted(by_category)
        pick = [by_category[cats[(n + i * 5) % len(cats)]][n % 7] for i in range(5)]
        cid = f"T{tag}{n:04d}"
        phone = f"139{n:04d}{int(tag[:4], 16) % 10000:04d}"
        customer = Customer(
            id=cid,
            name="测试顾客" if lang == "zh" else "Test Customer",
            email=f"dialogue.{tag}.{n}@example.net",
            phone=phone,
            language=lang,
            city="上海" if lang == "zh" else "London",
            signup_date=date.today() - timedelta(days=200),
        )
        s.add(customer)
        ids = {}
        base = 70000000 + int(tag, 16) % 4_000_000 * 5
        plan = [
            ("paid", "paid", [pick[0]], timedelta(hours=3)),
            ("shipped", "shipped", [pick[1]], timedelta(days=9)),
            ("delivered", "delivered", [pick[2], pick[3]], timedelta(days=6)),
            ("refunded", "returned", [pick[4]], timedelta(days=24)),
        ]
        for i, (key, status, items, age) in enumerate(plan):
            oid = f"KF{base + i}"
            ordered = now - age
            shipped = ordered + timedelta(hours=20) if status != "paid" else None
            order = Order(
                id=oid,
                customer_id=cid,
                status=status,
                ordered_at=ordered,
                shipped_at=shipped,
                delivered_at=shipped + timedelta(days=2)
                if shipped and status != "shipped"
                else None,
                expected_delivery=(now - timedelta(days=3)).date() if shipped else None,
                carrier="SF" if shipped else None,
                tracking_number=f"SF{base + i}00" if shipped else None,
                shipping_address="上海市测试路1号",
                total=sum((Decimal(p.price) for p in items), Decimal("0")),
            )
            s.add(order)
            s.flush()
            lines = []
            for line_no, p in enumerate(items, start=1):
                line = OrderLine(
                    order_id=oid, line_no=line_no, product_id=p.id, quantity=1, unit_price=p.price
                )
                s.add(line)
                lines.append(line)
            s.flush()
            if key == "refunded":
                back = order.delivered_at + timedelta(days=2)
                ret = ReturnRequest(
                    order_id=oid,
                    order_line_id=lines[0].id,
                    reason="wrong size",
                    status="refunded",
                    created_at=back,
                )
                s.add(ret)
                s.flush()
                s.add(
                    Refund(
                        order_id=oid,
                        return_id=ret.id,
                        amount=lines[0].unit_price,
                        status="completed",
                        created_at=back,
                        completed_at=back + timedelta(days=3),
                    )
                )
            ids[key] = oid
        first = pick[2]
        brand = _brand_zh().get(first.brand, first.brand) if lang == "zh" else first.brand
        return {
            "customer_id": cid,
            "paid_order": ids["paid"],
            "shipped_order": ids["shipped"],
            "delivered_order": ids["delivered"],
            "refunded_order": ids["refunded"],
            "delivered_item": first.name_zh.split(" ", 1)[-1] if lang == "zh" else first.name_en,
            "delivered_brand": brand,
            "some_order": ids["shipped"],
            "some_order_email": customer.email,
            "some_order_phone": phone,
            "wrong_email": f"not.me.{tag}@example.org",
            "unknown_order": f"KF{base + 4}",
        }


def fill(text: str, values: dict[str, str]) -> str:
    """``text`` with its ``{placeholders}`` replaced."""
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), text)


def _fill_any(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return fill(value, values)
    if isinstance(value, list):
        return [_fill_any(v, values) for v in value]
    if isinstance(value, dict):
        return {k: _fill_any(v, values) for k, v in value.items()}
    return value


def shown_text(replies: list[dict[str, Any]]) -> str:
    """Everything the customer reads: texts, button titles, card names and prices."""
    parts = []
    for r in replies:
        parts.append(r.get("text") or "")
        parts += [b.get("title", "") for b in r.get("buttons") or []]
        for card in (r.get("custom") or {}).get("products") or []:
            parts.append(f"{card.get('name', '')} {card.get('price', '')}")
    return "\n".join(p for p in parts if p)


def cards(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Product cards of the replies."""
    return [c for r in replies for c in (r.get("custom") or {}).get("products") or []]


class Checker:
    """Checks the ``expect`` of each turn against the replies and the shop database."""

    def __init__(self, url: str, domain_texts: dict[str, list[str]]) -> None:
        self.url = url
        self.domain_texts = domain_texts

    def _products(self, ids: list[str]) -> dict[str, Any]:
        from sqlalchemy import select

        from kefu.shop import session_scope
        from kefu.shop.models import Product

        with session_scope(self.url) as s:
            rows = s.scalars(select(Product).where(Product.id.in_(ids))).all()
            return {
                p.id: {
                    "names": f"{p.name_zh} {p.name_en}".lower(),
                    "brand": p.brand.lower(),
                    "price": float(p.price),
                }
                for p in rows
            }

    def order_status(self, order_id: str) -> str | None:
        from kefu.shop import session_scope
        from kefu.shop.models import Order

        with session_scope(self.url) as s:
            order = s.get(Order, order_id)
            return order.status if order else None

    def return_created(self, order_id: str) -> bool:
        from sqlalchemy import select

        from kefu.shop import session_scope
        from kefu.shop.models import ReturnRequest

        with session_scope(self.url) as s:
            rows = s.scalars(
                select(ReturnRequest).where(
                    ReturnRequest.order_id == order_id, ReturnRequest.status == "requested"
                )
            ).all()
            return bool(rows)

    def check_products(
        self, spec: dict[str, Any], shown: list[dict[str, Any]], history: list[list[str]]
    ) -> list[str]:
        """Failures of a ``products`` expectation."""
        problems = []
        ids = [str(c.get("id")) for c in shown]
        info = self._products(ids)
        if len(ids) < int(spec.get("min", 1)):
            return [f"products: {len(ids)} shown, expected at least {spec.get('min', 1)}"]
        if "max" in spec and len(ids) > int(spec["max"]):
            problems.append(f"products: {len(ids)} shown, expected at most {spec['max']}")
        known = [info[i] for i in ids if i in info]
        terms = [str(t).lower() for t in spec.get("name_contains_any") or []]
        if terms:
            bad = [i for i in ids if i in info and not any(t in info[i]["names"] for t in terms)]
            if bad:
                problems.append(f"products not matching {terms}: {bad}")
        brands = [str(b).lower() for b in spec.get("brand_any") or []]
        if brands:
            zh = {k.lower(): v.lower() for k, v in _brand_zh().items()}
            allowed = set(brands) | {en for en, z in zh.items() if z in brands}
            if any(p["brand"] not in allowed for p in known):
                problems.append(f"products of other brands than {brands}")
        not_brands = {str(b).lower() for b in spec.get("brand_not") or []}
        if not_brands:
            zh = {k.lower(): v.lower() for k, v in _brand_zh().items()}
            banned = not_brands | {en for en, z in zh.items() if z in not_brands}
            if any(p["brand"] in banned for p in known):
                problems.append(f"products of excluded brands {sorted(not_brands)}")
        prices = [p["price"] for p in known]
        if "max_price" in spec and any(p > float(spec["max_price"]) for p in prices):
            problems.append(f"prices {prices} above {spec['max_price']}")
        if "min_price" in spec and any(p < float(spec["min_price"]) for p in prices):
            problems.append(f"prices {prices} below {spec['min_price']}")
        previous = history[-1] if history else []
        before = self._products(previous) if previous else {}
        old = [p["price"] for p in before.values()]
        if spec.get("cheaper_than_previous") and (
            not old or not prices or statistics.median(prices) >= statistics.median(old)
        ):
            problems.append(f"not cheaper: {prices} after {old}")
        if spec.get("pricier_than_previous") and (
            not old or not prices or statistics.median(prices) <= statistics.median(old)
        ):
            problems.append(f"not pricier: {prices} after {old}")
        if spec.get("none_shown_before"):
            seen = {i for shown_ids in history for i in shown_ids}
            if seen & set(ids):
                problems.append(f"products shown again: {sorted(seen & set(ids))}")
        if spec.get("same_as_previous_item") and not set(ids) & set(previous):
            problems.append("not one of the products shown before")
        return problems

    def check_turn(
        self,
        expect: dict[str, Any],
        replies: list[dict[str, Any]],
        history: list[list[str]],
    ) -> list[str]:
        """Failures of one turn (an empty reply is always one)."""
        problems: list[str] = []
        text = shown_text(replies)
        low = text.lower()
        if not replies or not text.strip():
            problems.append("no reply")
        shown = cards(replies)
        for key, value in expect.items():
            if key == "products":
                problems += self.check_products(value or {}, shown, history)
            elif key == "no_products":
                if value and shown:
                    problems.append(f"{len(shown)} products shown, expected none")
            elif key == "contains_any":
                if not any(str(v).lower() in low for v in value):
                    problems.append(f"none of {value}")
            elif key == "not_contains":
                found = [v for v in value if str(v).lower() in low]
                if found:
                    problems.append(f"says {found}")
            elif key == "buttons_min":
                n = sum(len(r.get("buttons") or []) for r in replies)
                if n < int(value):
                    problems.append(f"{n} buttons, expected at least {value}")
            elif key == "mentions":
                missing = [v for v in value if str(v).lower() not in low]
                if missing:
                    problems.append(f"does not mention {missing}")
            elif key == "order_status_after":
                status = self.order_status(value["order"])
                if status != value["status"]:
                    problems.append(
                        f"order {value['order']} is {status}, expected {value['status']}"
                    )
            elif key == "return_created":
                created = self.return_created(value["order"])
                if created != bool(value["expected"]):
                    problems.append(f"return created: {created}, expected {value['expected']}")
            elif key == "out_of_scope":
                if value and not self._says(text, "utter_out_of_scope"):
                    problems.append("not the out-of-scope answer")
            elif key == "handoff_offered":
                if value and not self._says(text, "utter_offer_handoff"):
                    problems.append("no hand-off offered")
            else:
                problems.append(f"unknown expectation {key!r}")
        return problems

    def _says(self, text: str, response: str) -> bool:
        return any(v.strip() and v.strip() in text for v in self.domain_texts.get(response, []))


def domain_texts() -> dict[str, list[str]]:
    """Texts of every response variation of the bot's domain."""
    out: dict[str, list[str]] = {}
    for path in (ROOT / "bot" / "domain").glob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for name, variations in (data.get("responses") or {}).items():
            out.setdefault(name, []).extend(v.get("text", "") for v in variations)
    return out


def play(
    conv: dict[str, Any], send: Send, checker: Checker, token_for: Callable[[str], str]
) -> Result:
    """Play one conversation; a fresh customer and orders are written first."""
    values = make_fixture(checker.url, conv["lang"], conv["id"])
    metadata = (
        {"customer_token": token_for(values["customer_id"])}
        if conv.get("login") == "customer"
        else None
    )
    sender = f"dialogue-{conv['id']}-{uuid.uuid4().hex[:8]}"
    result = Result(conv["id"], conv["lang"], conv["behaviour"], ok=True)
    result.needs_products = any("products" in (t.get("expect") or {}) for t in conv["turns"])
    history: list[list[str]] = []
    for turn in conv["turns"]:
        text = fill(str(turn["user"]), values)
        replies = send(sender, text, metadata)
        expect = _fill_any(turn.get("expect") or {}, values)
        problems = checker.check_turn(expect, replies, history)
        shown_ids = [str(c.get("id")) for c in cards(replies)]
        if shown_ids:
            history.append(shown_ids)
        result.transcript.append({"user": text, "bot": shown_text(replies), "problems": problems})
        if problems:
            result.ok = False
            result.failures += [f"{text!r}: {p}" for p in problems]
    return result


def rates(results: list[Result]) -> dict[str, Any]:
    """Task success per language and per behaviour tag, with products apart.

    ``without_products``: conversations whose behaviour tag is not about products;
    ``no_product_cards_expected``: conversations where no turn expects product cards
    (some form conversations end with a product request).
    """
    out: dict[str, Any] = {"by_language": {}, "by_behaviour": {}}
    for lang in ("zh", "en"):
        mine = [r for r in results if r.lang == lang]
        core = [r for r in mine if not r.behaviour.startswith(PRODUCT_TAGS)]
        prod = [r for r in mine if r.behaviour.startswith(PRODUCT_TAGS)]
        apart = [r for r in mine if not r.needs_products]
        out["by_language"][lang] = {
            "conversations": len(mine),
            "success_rate": _rate(mine),
            "without_products": {"conversations": len(core), "success_rate": _rate(core)},
            "products": {"conversations": len(prod), "success_rate": _rate(prod)},
            "no_product_cards_expected": {
                "conversations": len(apart),
                "success_rate": _rate(apart),
            },
        }
    tags = sorted({r.behaviour for r in results})
    for tag in tags:
        out["by_behaviour"][tag] = {
            lang: _rate([r for r in results if r.behaviour == tag and r.lang == lang])
            for lang in ("zh", "en")
        }
    return out


def _rate(results: list[Result]) -> float | None:
    return round(sum(r.ok for r in results) / len(results), 4) if results else None
