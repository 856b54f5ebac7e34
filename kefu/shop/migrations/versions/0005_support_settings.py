"""Support-desk settings admins change in the console (opening hours and their time zone).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``support_settings``."""
    op.create_table(
        "support_settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
    )


def downgrade() -> None:
    """Drop ``support_settings``."""
    op.drop_table("support_settings")
