"""The search behind ``Recommender``'s defaults, on a validation split of MovieLens
``u1.base`` only (15% of its ratings for ratings, 20% for ranking; seed 0): never on u1.test.

Run: ``python -m benchmarks.recsys_tune`` (a few minutes; prints JSON). Not part of
``python -m benchmarks`` (no ``run()``).
"""

from __future__ import annotations

import itertools
import json
import sys

import numpy as np

from benchmarks.recsys import MOVIELENS, read_movielens
from recsys import Recommender
from recsys.metrics import ranking_metrics, rmse
from recsys.ranking import top_n
from recsys.similarity import neighbour_estimate


def validation_split(fraction: float) -> tuple:
    train = read_movielens("u1.base")
    held = np.random.default_rng(0).random(len(train)) < fraction
    return train[~held], train[held]


def rating_search() -> list[dict]:
    """Neighbourhood sizes and regularization; blend weights by least squares."""
    fit_part, val = validation_split(0.15)
    out = []
    grid = itertools.product([100, 150, 200], [0.5, 1.0], [50, 100], [(15, 10, 10), (5, 5, 20)])
    for k, reg, shrink, (reg_user, reg_item, epochs) in grid:
        model = Recommender(
            k=k,
            candidates=k,
            regularization=reg,
            shrinkage=shrink,
            reg_user=reg_user,
            reg_item=reg_item,
            n_epochs=epochs,
        ).fit(fit_part)
        data = model.dataset_
        users, items = data.users.rows(val["user_id"]), data.items.rows(val["item_id"])
        ok = (users >= 0) & (items >= 0)
        base = model.biases_.estimate(users, items)
        parts = np.zeros((len(val), 2))
        common = {"k": k, "regularization": reg}
        parts[ok, 0], _ = neighbour_estimate(
            items[ok], users[ok], model.item_rating_, model._item_lookup, **common
        )
        parts[ok, 1], _ = neighbour_estimate(
            users[ok], items[ok], model.user_rating_, model._user_lookup, **common
        )
        weights = np.linalg.lstsq(parts, val["rating"].to_numpy() - base, rcond=None)[0]
        estimate = np.clip(base + parts @ weights, 1, 5)
        out.append(
            {
                "k": k,
                "regularization": reg,
                "shrinkage": shrink,
                "reg_user": reg_user,
                "reg_item": reg_item,
                "n_epochs": epochs,
                "rating_item_weight": round(float(weights[0]), 3),
                "rating_user_weight": round(float(weights[1]), 3),
                "validation_rmse": round(rmse(val["rating"], estimate), 4),
            }
        )
    return sorted(out, key=lambda r: r["validation_rmse"])


def ranking_search() -> list[dict]:
    """Neighbour table sizes, shrinkage and the item/user/popularity weights."""
    fit_part, val = validation_split(0.20)
    relevant = {u: set(g) for u, g in val.groupby("user_id")["item_id"]}
    out = []
    for item_n, user_n, shrink in [(200, 50, 10), (400, 50, 0), (400, 100, 0), (800, 80, 0)]:
        model = Recommender(
            item_neighbours=item_n, user_neighbours=user_n, ranking_shrinkage=shrink
        ).fit(fit_part)
        data = model.dataset_
        parts = {}
        for user in relevant:
            row = data.users.row(user)
            raw = model._parts(row)
            seen = model._seen_items(row)
            item_part, user_part = raw["item"].copy(), raw["user"].copy()
            item_part[seen] = user_part[seen] = 0
            parts[user] = (
                item_part / max(item_part.max(), 1e-9),
                user_part / max(user_part.max(), 1e-9),
            )
        popularity = model.popularity_ / model.popularity_.max()
        for wi, wp in itertools.product([0.0, 0.25, 0.5, 0.75, 1.0], [0.0, 0.05, 0.1]):

            def recommend(user, wi=wi, wp=wp, parts=parts, pop=popularity, data=data):
                item_part, user_part = parts[user]
                scores = wi * item_part + user_part
                scores = np.where(scores > 0, scores + wp * pop, 0)
                return [data.items.raw(i) for i in top_n(scores, 10)]

            result = ranking_metrics(recommend, relevant, 10)
            out.append(
                {
                    "item_neighbours": item_n,
                    "user_neighbours": user_n,
                    "ranking_shrinkage": shrink,
                    "item_weight": wi,
                    "user_weight": 1.0,
                    "popularity_weight": wp,
                    "validation_ndcg@10": round(result["ndcg"], 4),
                }
            )
    return sorted(out, key=lambda r: -r["validation_ndcg@10"])


def main() -> int:
    if not (MOVIELENS / "u1.base").is_file():
        print(json.dumps({"skipped": f"MovieLens 100K not found in {MOVIELENS}"}))
        return 0
    defaults = Recommender().get_params()
    print(
        json.dumps(
            {
                "defaults": defaults,
                "rating_top5": rating_search()[:5],
                "ranking_top5": ranking_search()[:5],
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
