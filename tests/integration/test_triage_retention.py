"""Closed tips are purged after the retention period unless on legal hold; the log keeps it."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from storage import retention, triage
from storage.core import Core
from storage.models import AuditEvent, Tip, TipMessage, utcnow
from storage.officers import issue_token
from storage.sessions import token_identity
from tests.support.console import add_officer, add_tip, console_client, csrf_of, sign_in


async def _closed_tips(core: Core, count: int) -> list[str]:
    await add_officer(core, "hoa", "LS", "admin", "triage")
    hoa = await token_identity(core, await issue_token(core.db, "hoa"))
    assert hoa is not None
    refs = []
    for _ in range(count):
        tip = await add_tip(core, None)
        await triage.add_note(core, hoa, tip.ref, "ghi chú")
        await triage.change_status(core, hoa, tip.ref, "closed", outcome="actioned")
        refs.append(tip.ref)
    return refs


async def test_purge_deletes_expired_closed_tips_but_keeps_held_and_open_ones(core: Core) -> None:
    expired, held, recent = await _closed_tips(core, 3)
    still_open = await add_tip(core, None)
    hoa = await token_identity(core, await issue_token(core.db, "hoa"))
    assert hoa is not None
    await triage.set_legal_hold(core, hoa, held, True)
    async with core.db.write() as session:
        await session.execute(
            update(Tip)
            .where(Tip.ref.in_([expired, held]))
            .values(purge_after=utcnow() - dt.timedelta(days=1))
        )
    assert await retention.due(core.db) == retention.PurgeReport(purged=1, held=1)
    report = await retention.purge_due(core.db)
    assert report == retention.PurgeReport(purged=1, held=1)
    async with core.db.read() as session:
        left = set((await session.scalars(select(Tip.ref))).all())
        messages = await session.scalar(select(func.count()).select_from(TipMessage))
        purge_events = (
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "tip.purge"))
        ).all()
    assert left == {held, recent, still_open.ref}
    assert messages == 2  # the notes of the two closed tips that remain
    assert [(e.subject_id, e.actor) for e in purge_events] == [(expired, "system")]
    # The audit history of the purged tip is still there.
    async with core.db.read() as session:
        history = (
            await session.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == expired))
        ).all()
    assert history[0] == "tip.submit" and history[-1] == "tip.purge"


async def test_an_admin_can_purge_a_closed_tip_from_its_page(core: Core) -> None:
    (ref,) = await _closed_tips(core, 1)
    hoa_login = await add_officer(core, "hoa2", "LS", "admin", "triage")
    async with console_client(core) as client:
        await sign_in(client, hoa_login)
        page = await (await client.get(f"/tips/{ref}")).text()
        assert "Xóa vĩnh viễn…" in page
        response = await client.post(f"/tips/{ref}/purge", data={"csrf_token": csrf_of(page)})
        assert "Đã xóa vĩnh viễn tin báo" in await response.text()
        assert (await client.get(f"/tips/{ref}")).status == 404


async def test_tinbao_purge_on_the_command_line(core: Core, tmp_path: Path) -> None:
    if not core.db.sqlite:
        pytest.skip("the command is the same on both databases; SQLite covers it")
    (ref,) = await _closed_tips(core, 1)
    async with core.db.write() as session:
        await session.execute(update(Tip).values(purge_after=utcnow() - dt.timedelta(seconds=1)))
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TINBAO_")} | {
        "TINBAO_DATA_DIR": str(tmp_path),
        "TINBAO_DATABASE_URL": core.db.url,
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", "purge", *args],
            capture_output=True,
            text=True,
            env=environment,
            timeout=120,
            check=False,
        )

    dry = run("--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "1 closed tips are past retention and would be deleted" in dry.stdout
    done = run()
    assert done.returncode == 0, done.stderr
    assert "Deleted 1 closed tips past retention; 0 kept on legal hold" in done.stdout
    async with core.db.read() as session:
        assert await session.scalar(select(Tip.id).where(Tip.ref == ref)) is None
        actor = await session.scalar(
            select(AuditEvent.actor).where(AuditEvent.action == "tip.purge")
        )
    assert actor == "cli"


async def test_the_console_runs_the_retention_job(core: Core) -> None:
    from admin.app import create_app
    from admin.jobs import run_once
    from tests.support.console import console_settings

    (ref,) = await _closed_tips(core, 1)
    async with core.db.write() as session:
        await session.execute(update(Tip).values(purge_after=utcnow() - dt.timedelta(days=2)))
    report = await run_once(create_app(core, console_settings()))
    assert report.purged == 1
    async with core.db.read() as session:
        assert await session.scalar(select(Tip.id).where(Tip.ref == ref)) is None
