"""The schema of tinbao (squashed until the first release)

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-24 04:49:38.346959
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "broadcast",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("text_vi", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("image", sa.LargeBinary(), nullable=True),
        sa.Column("image_mime", sa.String(length=32), nullable=True),
        sa.Column("photo_file_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast")),
    )
    with op.batch_alter_table("broadcast", schema=None) as batch_op:
        batch_op.create_index("ix_broadcast_kind_source", ["kind", "source_id"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("dedupe_key", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("key_id", sa.String(length=32), nullable=True),
        sa.Column("sealed", sa.LargeBinary(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_dedupe_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_state_due", ["state", "due_at"], unique=False)

    op.create_table(
        "ref_counter",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_ref_counter")),
    )
    op.create_table(
        "resident_preference",
        sa.Column("pseudonym", sa.LargeBinary(length=32), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pseudonym", name=op.f("pk_resident_preference")),
    )
    op.create_table(
        "subscriber",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("resident_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("chat_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("categories", sa.String(length=400), nullable=False),
        sa.Column("quiet_start", sa.SmallInteger(), nullable=True),
        sa.Column("quiet_end", sa.SmallInteger(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriber")),
        sa.UniqueConstraint("resident_key", name=op.f("uq_subscriber_resident_key")),
    )
    op.create_table(
        "unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("path", sa.String(length=400), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["unit.id"], name=op.f("fk_unit_parent_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit")),
        sa.UniqueConstraint("code", name=op.f("uq_unit_code")),
    )
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unit_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_unit_path"), ["path"], unique=False)

    op.create_table(
        "officer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.String(length=100), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("totp_key_id", sa.String(length=32), nullable=True),
        sa.Column("totp_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("totp_enabled", sa.Boolean(), nullable=False),
        sa.Column("totp_last_step", sa.Integer(), nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("password_change_due", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_officer_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officer")),
        sa.UniqueConstraint("username", name=op.f("uq_officer_username")),
    )
    with op.batch_alter_table("officer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_officer_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "subscription_unit",
        sa.Column("subscriber_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscriber.id"],
            name=op.f("fk_subscription_unit_subscriber_id_subscriber"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_subscription_unit_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("subscriber_id", "unit_id", name=op.f("pk_subscription_unit")),
    )
    with op.batch_alter_table("subscription_unit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subscription_unit_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officer.id"], name=op.f("fk_api_token_officer_id_officer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_officer_id"), ["officer_id"], unique=False)

    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officer.id"], name=op.f("fk_audit_event_officer_id_officer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_event_seq")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_officer_id"), ["officer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_subject_id"), ["subject_id"], unique=False)

    op.create_table(
        "chat_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["officer.id"], name=op.f("fk_chat_group_decided_by_officer")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_chat_group_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_group")),
        sa.UniqueConstraint("chat_id", name=op.f("uq_chat_group_chat_id")),
    )
    with op.batch_alter_table("chat_group", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chat_group_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "console_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("second_factor_done", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officer.id"], name=op.f("fk_console_session_officer_id_officer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_console_session_token_hash")),
    )
    with op.batch_alter_table("console_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_console_session_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_console_session_officer_id"), ["officer_id"], unique=False
        )

    op.create_table(
        "forum_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("publish_group_ids", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received", sa.Integer(), nullable=True),
        sa.Column("answered", sa.Integer(), nullable=True),
        sa.Column("declined", sa.Integer(), nullable=True),
        sa.Column("participants", sa.Integer(), nullable=True),
        sa.Column("top_topics", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["officer.id"], name=op.f("fk_forum_session_created_by_officer")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_forum_session_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_session")),
    )
    with op.batch_alter_table("forum_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forum_session_closed_at"), ["closed_at"], unique=False)
        batch_op.create_index("ix_forum_session_unit_status", ["unit_id", "status"], unique=False)

    op.create_table(
        "tip",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ref", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("assigned_officer_id", sa.Integer(), nullable=True),
        sa.Column("duplicate_of_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("purge_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("legal_hold", sa.Boolean(), nullable=False),
        sa.Column("attachment_count", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("receipt_lookup", sa.LargeBinary(length=32), nullable=False),
        sa.Column("tipster_public_key", sa.LargeBinary(), nullable=False),
        sa.Column("tipster_private_wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("reply_route_key_id", sa.String(length=32), nullable=True),
        sa.Column("reply_route_sealed", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assigned_officer_id"], ["officer.id"], name=op.f("fk_tip_assigned_officer_id_officer")
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"], ["tip.id"], name=op.f("fk_tip_duplicate_of_id_tip")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_tip_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tip")),
        sa.UniqueConstraint("receipt_lookup", name=op.f("uq_tip_receipt_lookup")),
        sa.UniqueConstraint("ref", name=op.f("uq_tip_ref")),
    )
    with op.batch_alter_table("tip", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tip_category"), ["category"], unique=False)
        batch_op.create_index(
            "ix_tip_created_status_unit", ["created_at", "status", "unit_id"], unique=False
        )
        batch_op.create_index(
            "ix_tip_duplicate_of",
            ["duplicate_of_id"],
            unique=False,
            sqlite_where=sa.text("duplicate_of_id IS NOT NULL"),
            postgresql_where=sa.text("duplicate_of_id IS NOT NULL"),
        )
        batch_op.create_index(batch_op.f("ix_tip_key_id"), ["key_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tip_purge_after"), ["purge_after"], unique=False)
        batch_op.create_index(
            "ix_tip_queue",
            ["unit_id", "status", "category", "priority", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_tip_unit_status_created", ["unit_id", "status", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_tip_unopened",
            ["unit_id", "status", "created_at"],
            unique=False,
            sqlite_where=sa.text("first_opened_at IS NULL"),
            postgresql_where=sa.text("first_opened_at IS NULL"),
        )

    op.create_table(
        "warning",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("msg_type", sa.String(length=8), nullable=False),
        sa.Column("references_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("urgency", sa.String(length=10), nullable=False),
        sa.Column("certainty", sa.String(length=10), nullable=False),
        sa.Column("title_vi", sa.String(length=200), nullable=False),
        sa.Column("body_vi", sa.Text(), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=True),
        sa.Column("body_en", sa.Text(), nullable=True),
        sa.Column("image", sa.LargeBinary(), nullable=True),
        sa.Column("image_mime", sa.String(length=32), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("broadcast_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["broadcast_id"], ["broadcast.id"], name=op.f("fk_warning_broadcast_id_broadcast")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["officer.id"], name=op.f("fk_warning_created_by_officer")
        ),
        sa.ForeignKeyConstraint(
            ["references_id"], ["warning.id"], name=op.f("fk_warning_references_id_warning")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_warning_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warning")),
    )
    with op.batch_alter_table("warning", schema=None) as batch_op:
        batch_op.create_index(
            "ix_warning_status_scheduled", ["status", "scheduled_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_warning_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "delivery",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("subscriber_id", sa.Uuid(), nullable=True),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("telegram_message_id", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["broadcast.id"],
            name=op.f("fk_delivery_broadcast_id_broadcast"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["chat_group.id"],
            name=op.f("fk_delivery_group_id_chat_group"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscriber.id"],
            name=op.f("fk_delivery_subscriber_id_subscriber"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery")),
        sa.UniqueConstraint(
            "broadcast_id", "group_id", name=op.f("uq_delivery_broadcast_id_group_id")
        ),
        sa.UniqueConstraint(
            "broadcast_id", "subscriber_id", name=op.f("uq_delivery_broadcast_id_subscriber_id")
        ),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delivery_broadcast_id"), ["broadcast_id"], unique=False
        )
        batch_op.create_index("ix_delivery_state_due", ["state", "due_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_delivery_subscriber_id"), ["subscriber_id"], unique=False
        )

    op.create_table(
        "forum_question",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("topic", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("merged_into_id", sa.Uuid(), nullable=True),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("public_text", sa.Text(), nullable=True),
        sa.Column("public_name", sa.String(length=60), nullable=True),
        sa.Column("asker_key", sa.LargeBinary(length=32), nullable=True),
        sa.Column("vote_count", sa.Integer(), nullable=False),
        sa.Column("report_count", sa.Integer(), nullable=False),
        sa.Column("reports_reviewed", sa.Integer(), nullable=False),
        sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hidden_by", sa.String(length=10), nullable=True),
        sa.Column("route_key_id", sa.String(length=32), nullable=True),
        sa.Column("route_sealed", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["officer.id"], name=op.f("fk_forum_question_decided_by_officer")
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["forum_question.id"],
            name=op.f("fk_forum_question_merged_into_id_forum_question"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["forum_session.id"],
            name=op.f("fk_forum_question_session_id_forum_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_question")),
    )
    with op.batch_alter_table("forum_question", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_forum_question_asker_key"), ["asker_key"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_forum_question_key_id"), ["key_id"], unique=False)
        batch_op.create_index(
            "ix_forum_question_session_status", ["session_id", "status"], unique=False
        )

    op.create_table(
        "group_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"], ["chat_group.id"], name=op.f("fk_group_code_group_id_chat_group")
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officer.id"], name=op.f("fk_group_code_officer_id_officer")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_group_code_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_code")),
        sa.UniqueConstraint("digest", name=op.f("uq_group_code_digest")),
    )
    op.create_table(
        "tip_message",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tip_id", sa.Uuid(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("tipster_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("read_by_tipster_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officer.id"], name=op.f("fk_tip_message_officer_id_officer")
        ),
        sa.ForeignKeyConstraint(
            ["tip_id"], ["tip.id"], name=op.f("fk_tip_message_tip_id_tip"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tip_message")),
    )
    with op.batch_alter_table("tip_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tip_message_tip_id"), ["tip_id"], unique=False)

    op.create_table(
        "warning_unit",
        sa.Column("warning_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_warning_unit_unit_id_unit")
        ),
        sa.ForeignKeyConstraint(
            ["warning_id"],
            ["warning.id"],
            name=op.f("fk_warning_unit_warning_id_warning"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("warning_id", "unit_id", name=op.f("pk_warning_unit")),
    )
    with op.batch_alter_table("warning_unit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_warning_unit_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "attachment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tip_id", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("mime_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("original_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("sent_as_is", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["tip_message.id"],
            name=op.f("fk_attachment_message_id_tip_message"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tip_id"], ["tip.id"], name=op.f("fk_attachment_tip_id_tip"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment")),
    )
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachment_tip_id"), ["tip_id"], unique=False)

    op.create_table(
        "forum_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Uuid(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("signed_by", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("edits", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officer.id"], name=op.f("fk_forum_answer_officer_id_officer")
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["forum_question.id"],
            name=op.f("fk_forum_answer_question_id_forum_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_answer")),
        sa.UniqueConstraint("question_id", name=op.f("uq_forum_answer_question_id")),
    )
    with op.batch_alter_table("forum_answer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_forum_answer_published_at"), ["published_at"], unique=False
        )

    op.create_table(
        "forum_report",
        sa.Column("question_id", sa.Uuid(), nullable=False),
        sa.Column("pseudonym", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["forum_question.id"],
            name=op.f("fk_forum_report_question_id_forum_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("question_id", "pseudonym", name=op.f("pk_forum_report")),
    )
    op.create_table(
        "forum_vote",
        sa.Column("question_id", sa.Uuid(), nullable=False),
        sa.Column("pseudonym", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["forum_question.id"],
            name=op.f("fk_forum_vote_question_id_forum_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("question_id", "pseudonym", name=op.f("pk_forum_vote")),
    )

    # The audit chain starts from a fixed genesis hash.
    op.bulk_insert(
        sa.table(
            "audit_head",
            sa.column("id", sa.Integer),
            sa.column("seq", sa.Integer),
            sa.column("last_hash", sa.String),
        ),
        [{"id": 1, "seq": 0, "last_hash": "0" * 64}],
    )


def downgrade() -> None:
    op.drop_table("forum_vote")
    op.drop_table("forum_report")
    with op.batch_alter_table("forum_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_forum_answer_published_at"))

    op.drop_table("forum_answer")
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachment_tip_id"))

    op.drop_table("attachment")
    with op.batch_alter_table("warning_unit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_warning_unit_unit_id"))

    op.drop_table("warning_unit")
    with op.batch_alter_table("tip_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tip_message_tip_id"))

    op.drop_table("tip_message")
    op.drop_table("group_code")
    with op.batch_alter_table("forum_question", schema=None) as batch_op:
        batch_op.drop_index("ix_forum_question_session_status")
        batch_op.drop_index(batch_op.f("ix_forum_question_key_id"))
        batch_op.drop_index(batch_op.f("ix_forum_question_asker_key"))

    op.drop_table("forum_question")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_subscriber_id"))
        batch_op.drop_index("ix_delivery_state_due")
        batch_op.drop_index(batch_op.f("ix_delivery_broadcast_id"))

    op.drop_table("delivery")
    with op.batch_alter_table("warning", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_warning_unit_id"))
        batch_op.drop_index("ix_warning_status_scheduled")

    op.drop_table("warning")
    with op.batch_alter_table("tip", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_tip_unopened",
            sqlite_where=sa.text("first_opened_at IS NULL"),
            postgresql_where=sa.text("first_opened_at IS NULL"),
        )
        batch_op.drop_index("ix_tip_unit_status_created")
        batch_op.drop_index("ix_tip_queue")
        batch_op.drop_index(batch_op.f("ix_tip_purge_after"))
        batch_op.drop_index(batch_op.f("ix_tip_key_id"))
        batch_op.drop_index(
            "ix_tip_duplicate_of",
            sqlite_where=sa.text("duplicate_of_id IS NOT NULL"),
            postgresql_where=sa.text("duplicate_of_id IS NOT NULL"),
        )
        batch_op.drop_index("ix_tip_created_status_unit")
        batch_op.drop_index(batch_op.f("ix_tip_category"))

    op.drop_table("tip")
    with op.batch_alter_table("forum_session", schema=None) as batch_op:
        batch_op.drop_index("ix_forum_session_unit_status")
        batch_op.drop_index(batch_op.f("ix_forum_session_closed_at"))

    op.drop_table("forum_session")
    with op.batch_alter_table("console_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_console_session_officer_id"))
        batch_op.drop_index(batch_op.f("ix_console_session_expires_at"))

    op.drop_table("console_session")
    with op.batch_alter_table("chat_group", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chat_group_unit_id"))

    op.drop_table("chat_group")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_subject_id"))
        batch_op.drop_index(batch_op.f("ix_audit_event_officer_id"))
        batch_op.drop_index(batch_op.f("ix_audit_event_at"))
        batch_op.drop_index(batch_op.f("ix_audit_event_action"))

    op.drop_table("audit_event")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_officer_id"))

    op.drop_table("api_token")
    with op.batch_alter_table("subscription_unit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscription_unit_unit_id"))

    op.drop_table("subscription_unit")
    with op.batch_alter_table("officer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_officer_unit_id"))

    op.drop_table("officer")
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unit_path"))
        batch_op.drop_index(batch_op.f("ix_unit_parent_id"))

    op.drop_table("unit")
    op.drop_table("subscriber")
    op.drop_table("resident_preference")
    op.drop_table("ref_counter")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_state_due")

    op.drop_table("outbox")
    with op.batch_alter_table("broadcast", schema=None) as batch_op:
        batch_op.drop_index("ix_broadcast_kind_source")

    op.drop_table("broadcast")
    op.drop_table("audit_head")
