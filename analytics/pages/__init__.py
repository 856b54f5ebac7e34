"""The HTML pages of the three reports, built from their summaries.

Each function takes the summary dict (the same figures written to ``summary.json``) and
returns the HTML document; nothing here computes a figure.
"""

from analytics.pages.conversations import conversations_page
from analytics.pages.customers import customers_page
from analytics.pages.texts import texts_page

__all__ = ["conversations_page", "customers_page", "texts_page"]
