"""kefu (客服): bilingual customer-service chatbot and text analytics for e-commerce.

The ``kefu`` package holds what the other packages share: settings read from the
environment, the shop database (models, demo generator, importer) and the ``kefu`` CLI.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
