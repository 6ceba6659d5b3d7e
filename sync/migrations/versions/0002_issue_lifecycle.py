"""What the worker needs to follow filed issues through their life: the definition's text
last written to the issue (edits are applied once), the tracking issue an item was put
under, when the worker moved an issue itself, and why an item was withdrawn.

Revision ID: 0002_issue_lifecycle
Revises: 0001_initial
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002_issue_lifecycle"
down_revision: str | None = "0001_initial"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("action_items") as batch:
        batch.add_column(sa.Column("pushed", sa.String(64), nullable=True))
        batch.add_column(sa.Column("parent_key", sa.String(200), nullable=True))
        batch.add_column(sa.Column("moved_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("withdrawn", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("action_items") as batch:
        batch.drop_column("withdrawn")
        batch.drop_column("moved_at")
        batch.drop_column("parent_key")
        batch.drop_column("pushed")
