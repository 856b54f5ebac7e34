"""Failed order lookups (brute-force lock) and revocable site sessions.

Revision ID: 0004
Revises: 0001
Create Date: 2026-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``lookup_failures`` and ``site_sessions``."""
    op.create_table(
        "lookup_failures",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("failed_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_lookup_failures_key", "lookup_failures", ["key"])
    op.create_index("ix_lookup_failures_failed_at", "lookup_failures", ["failed_at"])
    op.create_table(
        "site_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("customer_id", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_site_sessions_customer_id", "site_sessions", ["customer_id"])
    op.create_index("ix_site_sessions_expires_at", "site_sessions", ["expires_at"])


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("site_sessions")
    op.drop_table("lookup_failures")
