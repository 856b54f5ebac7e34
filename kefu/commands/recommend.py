"""``kefu recommend --customer ID``: print a customer's product recommendations with reasons."""

from __future__ import annotations

import argparse
import sys

from nlp.text import DEFAULT_LANGUAGE, LANGUAGES


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError(f"must be between 1 and 100, got {value}")
    return value


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``kefu recommend``."""
    p = subparsers.add_parser(
        "recommend",
        help="print product recommendations for a customer, with reasons",
        description="Recommend products for a customer from the shop database (trains the "
        "recommender first when it is missing or older than the data). Without --customer: "
        "what an anonymous visitor is shown.",
    )
    p.add_argument("--customer", metavar="ID", help="customer id, e.g. C00042")
    p.add_argument("--n", type=_positive, default=10, help="how many products (1-100, default 10)")
    p.add_argument("--category", help="only this category (key or name, e.g. electronics, 数码)")
    p.add_argument(
        "--lang", choices=LANGUAGES, help="language of the reasons (default: the customer's)"
    )
    p.add_argument("--city", help="city of an anonymous visitor (cold start)")
    p.add_argument(
        "--include-bought", action="store_true", help="also recommend products already bought"
    )
    p.set_defaults(func=cmd_recommend)


def cmd_recommend(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from kefu.cli import CommandError
    from kefu.recommender import load_shop_recommender, train_from_db
    from kefu.settings import get_settings
    from kefu.shop.db import DatabaseError, get_engine, is_initialised
    from kefu.shop.models import Customer, Product

    url = get_settings().database_url
    if not is_initialised(url):
        raise CommandError("the shop database is not initialised: run 'kefu db demo' first")
    language = args.lang
    if args.customer is not None:
        with get_engine(url).connect() as conn:
            found = conn.execute(
                select(Customer.language).where(Customer.id == args.customer)
            ).first()
        if found is None:
            raise CommandError(f"no customer with id {args.customer!r}")
        language = language or found[0]
    language = language or DEFAULT_LANGUAGE
    context = {"language": language}
    if args.city:
        context["city"] = args.city
    try:
        status = train_from_db(url)  # cheap when the saved model matches the data
        if not status.startswith("recommender up to date"):
            print(status, file=sys.stderr)
        model = load_shop_recommender(url)
        recs = model.recommend(
            args.customer,
            n=args.n,
            exclude_seen=not args.include_bought,
            category=args.category,
            context=context,
        )
    except (DatabaseError, ValueError, OSError) as exc:
        raise CommandError(str(exc)) from exc
    if not recs:
        print("no products to recommend (nothing in stock matches)")
        return 0
    ids = [r.item_id for r in recs]
    name_column = Product.name_zh if language == "zh" else Product.name_en
    with get_engine(url).connect() as conn:
        names = dict(conn.execute(select(Product.id, name_column).where(Product.id.in_(ids))).all())
    who = f"customer {args.customer}" if args.customer else "an anonymous visitor"
    print(f"top {len(recs)} for {who}:")
    for rank, rec in enumerate(recs, start=1):
        name = names.get(rec.item_id, "")
        print(f"{rank:>3}. {rec.item_id}  {name}  [{rec.score:.3f}]  {rec.reason.text(language)}")
    return 0
