"""Product recommendations: neighbourhood CF, content-based cold start, popularity, reasons.

``Recommender`` is the hybrid the app uses; the other models are its parts, usable alone
and compared in ``benchmarks/recsys.py``.
"""

from recsys.base import BaseRecommender, UnknownItemError
from recsys.baseline import BaselinePredictor
from recsys.content import ContentRecommender
from recsys.neighbors import ItemKNN, UserKNN
from recsys.popularity import PopularityRecommender
from recsys.reasons import Reason, Recommendation
from recsys.recommender import Recommender

__all__ = [
    "BaseRecommender",
    "BaselinePredictor",
    "ContentRecommender",
    "ItemKNN",
    "PopularityRecommender",
    "Reason",
    "Recommendation",
    "Recommender",
    "UnknownItemError",
    "UserKNN",
]
