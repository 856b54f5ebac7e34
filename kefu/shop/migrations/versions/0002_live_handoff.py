"""Live hand-off: staff accounts, the ticket queue, private notes, canned replies, CSAT per agent.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

Tickets move from ``open``/``closed`` to the queue states ``pending``/``open``/``snoozed``/
``resolved``: today's ``open`` tickets are unassigned, so they become ``pending`` (waiting
since they were created); ``closed`` ones become ``resolved``. Only the newest unresolved
ticket of a conversation stays unresolved (the older duplicates are resolved), since a
partial unique index now allows one unresolved ticket per conversation.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

NEW_STATUSES = "status IN ('pending', 'open', 'snoozed', 'resolved')"
OLD_STATUSES = "status IN ('open', 'closed')"
UNRESOLVED = "status <> 'resolved'"


def _tickets_0001() -> sa.Table:
    """The tickets table as revision 0001 made it (SQLite's batch copy starts from it)."""
    return sa.Table(
        "tickets",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(length=255), nullable=False, index=True),
        sa.Column("customer_id", sa.String(length=64), sa.ForeignKey("customers.id")),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("transcript", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(OLD_STATUSES, name="ck_ticket_status"),
    )


def _csat_0001() -> sa.Table:
    return sa.Table(
        "csat",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(length=255), nullable=False, index=True),
        sa.Column("customer_id", sa.String(length=64), sa.ForeignKey("customers.id")),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name="ck_csat_score"),
    )


def _ensure_index(table: str, column: str) -> None:
    """Recreate ``ix_<table>_<column>`` when SQLite's table copy dropped it."""
    name = f"ix_{table}_{column}"
    if name not in {i["name"] for i in sa.inspect(op.get_bind()).get_indexes(table)}:
        op.create_index(name, table, [column], unique=False)


def upgrade() -> None:
    """Add the staff, the queue columns, notes, canned replies and CSAT's agent."""
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=500), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("on_duty", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("session_epoch", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("role IN ('agent', 'admin')", name="ck_staff_role"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    with op.batch_alter_table("tickets", copy_from=_tickets_0001(), recreate="auto") as batch:
        batch.drop_constraint("ck_ticket_status", type_="check")
        batch.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("snoozed_until", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("waiting_since", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("first_reply_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("resolved_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("resolved_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("escalation_reason", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("last_customer_message_at", sa.DateTime(), nullable=True))
        batch.add_column(
            sa.Column("unread_for_agent", sa.Integer(), server_default="0", nullable=False)
        )
        batch.create_foreign_key("fk_tickets_assignee_id", "staff", ["assignee_id"], ["id"])
        batch.create_foreign_key("fk_tickets_resolved_by", "staff", ["resolved_by"], ["id"])
        batch.create_index(op.f("ix_tickets_assignee_id"), ["assignee_id"], unique=False)
    _ensure_index("tickets", "conversation_id")
    op.execute("UPDATE tickets SET status = 'resolved' WHERE status = 'closed'")
    op.execute(
        "UPDATE tickets SET status = 'pending', waiting_since = created_at WHERE status = 'open'"
    )
    # one unresolved ticket per conversation: the newest stays, older duplicates are resolved
    op.execute(
        "UPDATE tickets SET status = 'resolved' WHERE status <> 'resolved' AND id < "
        "(SELECT max(t2.id) FROM tickets t2 WHERE t2.conversation_id = tickets.conversation_id "
        "AND t2.status <> 'resolved')"
    )
    with op.batch_alter_table("tickets") as batch:
        batch.create_check_constraint("ck_ticket_status", NEW_STATUSES)
    op.create_index(
        "uq_ticket_unresolved",
        "tickets",
        ["conversation_id"],
        unique=True,
        postgresql_where=sa.text(UNRESOLVED),
        sqlite_where=sa.text(UNRESOLVED),
    )
    op.create_table(
        "ticket_notes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_ticket_notes_ticket_id"), "ticket_notes", ["ticket_id"])
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("shortcut", sa.String(length=50), nullable=False),
        sa.Column("text_zh", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("shortcut"),
    )
    with op.batch_alter_table("csat", copy_from=_csat_0001(), recreate="auto") as batch:
        batch.add_column(sa.Column("agent_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("ticket_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_csat_agent_id", "staff", ["agent_id"], ["id"])
        batch.create_foreign_key("fk_csat_ticket_id", "tickets", ["ticket_id"], ["id"])
    _ensure_index("csat", "conversation_id")


def downgrade() -> None:
    """Back to revision 0001: queue states fold into ``open``/``closed``; staff data dropped."""
    with op.batch_alter_table("csat") as batch:
        batch.drop_constraint("fk_csat_ticket_id", type_="foreignkey")
        batch.drop_constraint("fk_csat_agent_id", type_="foreignkey")
        batch.drop_column("ticket_id")
        batch.drop_column("agent_id")
    op.drop_table("canned_replies")
    op.drop_index(op.f("ix_ticket_notes_ticket_id"), table_name="ticket_notes")
    op.drop_table("ticket_notes")
    op.drop_index("uq_ticket_unresolved", table_name="tickets")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_constraint("ck_ticket_status", type_="check")
    op.execute("UPDATE tickets SET status = 'closed' WHERE status = 'resolved'")
    op.execute("UPDATE tickets SET status = 'open' WHERE status <> 'closed'")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index(op.f("ix_tickets_assignee_id"))
        batch.drop_constraint("fk_tickets_resolved_by", type_="foreignkey")
        batch.drop_constraint("fk_tickets_assignee_id", type_="foreignkey")
        for column in (
            "unread_for_agent",
            "last_customer_message_at",
            "escalation_reason",
            "resolved_by",
            "resolved_at",
            "first_reply_at",
            "waiting_since",
            "snoozed_until",
            "assignee_id",
        ):
            batch.drop_column(column)
        batch.create_check_constraint("ck_ticket_status", OLD_STATUSES)
    op.drop_table("staff")
