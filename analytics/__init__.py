"""Text and customer analytics: reports on reviews, chat logs, the bot's conversations
and customers (``kefu analyze texts|conversations|customers``)."""

from analytics.readers import BadRow, ColumnSpec, InputError, Record, TextFileReader
from analytics.run import run_conversations, run_customers, run_texts

__all__ = [
    "BadRow",
    "ColumnSpec",
    "InputError",
    "Record",
    "TextFileReader",
    "run_conversations",
    "run_customers",
    "run_texts",
]
