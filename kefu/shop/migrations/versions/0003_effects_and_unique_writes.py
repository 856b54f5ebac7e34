"""Idempotency keys for the bot's side effects; unique returns and refunds.

Revision ID: 0003
Revises: 0001
Create Date: 2026-12-02

- ``action_effects``: one row per side effect the bot performed for one customer message
  (conversation id, message id, action), written in the same transaction as the effect.
- ``uq_return_line``: at most one return per order line.
- ``uq_refund_return``: at most one refund per return.
- ``uq_refund_cancellation``: at most one refund without a return (a cancellation) per order.

A database that already holds duplicates (written by two workers racing before this
revision) is refused with the offending ids, and nothing is changed: the duplicates must
be resolved by hand first.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_DUPLICATES = {
    "uq_return_line": (
        "returns (more than one return for one order line)",
        "SELECT order_line_id, COUNT(*) FROM returns GROUP BY order_line_id HAVING COUNT(*) > 1",
    ),
    "uq_refund_return": (
        "refunds (more than one refund for one return)",
        "SELECT return_id, COUNT(*) FROM refunds WHERE return_id IS NOT NULL "
        "GROUP BY return_id HAVING COUNT(*) > 1",
    ),
    "uq_refund_cancellation": (
        "refunds (more than one cancellation refund for one order)",
        "SELECT order_id, COUNT(*) FROM refunds WHERE return_id IS NULL "
        "GROUP BY order_id HAVING COUNT(*) > 1",
    ),
}


class DuplicateRows(RuntimeError):
    """Rows that break a new unique index; they must be resolved before upgrading."""


def _check_no_duplicates() -> None:
    conn = op.get_bind()
    problems = []
    for index, (what, query) in _DUPLICATES.items():
        rows = conn.execute(sa.text(query)).all()
        if rows:
            keys = ", ".join(f"{key!r} x{count}" for key, count in rows[:10])
            more = f" (and {len(rows) - 10} more)" if len(rows) > 10 else ""
            problems.append(f"{what}: {keys}{more} [{index}]")
    if problems:
        raise DuplicateRows(
            "cannot add the unique indexes of revision 0003, duplicate rows found in "
            + "; ".join(problems)
            + ". Delete or merge the duplicates (keep one row per key), then run "
            "`kefu db upgrade` again. Nothing was changed."
        )


def upgrade() -> None:
    """Create ``action_effects`` and the unique indexes on returns and refunds."""
    _check_no_duplicates()
    op.create_table(
        "action_effects",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conversation_id", "message_id", "action", name="uq_action_effect"),
    )
    op.create_index("uq_return_line", "returns", ["order_line_id"], unique=True)
    op.create_index("uq_refund_return", "refunds", ["return_id"], unique=True)
    op.create_index(
        "uq_refund_cancellation",
        "refunds",
        ["order_id"],
        unique=True,
        sqlite_where=sa.text("return_id IS NULL"),
        postgresql_where=sa.text("return_id IS NULL"),
    )


def downgrade() -> None:
    """Drop the unique indexes and ``action_effects``."""
    op.drop_index("uq_refund_cancellation", table_name="refunds")
    op.drop_index("uq_refund_return", table_name="refunds")
    op.drop_index("uq_return_line", table_name="returns")
    op.drop_table("action_effects")
