"""The recommenders never crash on any input of the documented types (#16, hypothesis).

``recommend`` takes any user id (``None`` or unknown: cold start), ``n``, ``exclude_seen``,
a category, a context and candidate ids; ``similar_items`` any item id. Each call either
answers a well-formed list (distinct known items, at most ``n``, scores finite, a reason
each) or raises the documented error (``ValueError`` for a bad ``n``, category or
context; :class:`recsys.base.UnknownItemError` for an unknown item); never anything else.
Checked on every model variant (the contract's ``fitted`` fixture).
"""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recsys.base import UnknownItemError

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None
)
odd = st.one_of(
    st.none(),
    st.text(max_size=20),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.binary(max_size=8),
)


def _valid(n: object, category_known: bool, ctx: object) -> bool:
    """Whether the arguments are all of the documented, acceptable kinds."""
    good_n = isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= 10_000
    good_ctx = ctx is None or (
        isinstance(ctx, dict)
        and ctx.get("language") in (None, "zh", "en")
        and isinstance(ctx.get("city", ""), str | type(None))
    )
    return good_n and category_known and good_ctx


def test_recommend_and_similar_items_never_crash(fitted, items, interactions):
    users = sorted(set(interactions["user_id"]))
    item_ids = items["item_id"].tolist()
    categories = sorted(set(items["category"])) + ["no-such-category", "", "ÉLECTRONIQUE"]
    known = set(item_ids)
    real_categories = {None, *items["category"]}
    user = st.one_of(st.sampled_from(users), odd)
    context = st.one_of(
        st.none(),
        st.fixed_dictionaries({}, optional={"language": odd | st.sampled_from(["zh", "en"])}),
        st.fixed_dictionaries({"city": odd | st.sampled_from(["上海", "London", "  "])}),
        odd,
    )
    candidates = st.one_of(st.none(), st.lists(st.sampled_from(item_ids) | odd, max_size=8), odd)

    @SETTINGS
    @given(
        user,
        st.one_of(st.integers(-3, 60), odd),
        st.booleans(),
        st.one_of(st.none(), st.sampled_from(categories)),
        context,
        candidates,
    )
    def check(user_id, n, exclude_seen, category, ctx, only):
        try:
            found = fitted.recommend(
                user_id, n=n, exclude_seen=exclude_seen, category=category, context=ctx, items=only
            )
        except ValueError:
            assert not _valid(n, category in real_categories, ctx)  # refused only bad input
            return
        ids = [r.item_id for r in found]
        assert len(ids) == len(set(ids)) <= n and set(ids) <= known
        assert all(math.isfinite(r.score) and r.reason for r in found)

    @SETTINGS
    @given(st.one_of(st.sampled_from(item_ids), odd), st.one_of(st.integers(-3, 60), odd))
    def similar(item_id, n):
        try:
            found = fitted.similar_items(item_id, n=n)
        except (ValueError, UnknownItemError):
            return
        ids = [r.item_id for r in found]
        assert len(ids) == len(set(ids)) <= n and set(ids) <= known - {item_id}

    check()
    similar()
