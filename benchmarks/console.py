"""Console figures with 100,000 tips in SQLite: queue and tip page, HTML and API, and RSS.

The tips are written straight into the database in batches, each sealed for real to the
console key and bound to its row. Then `tinbao console` is started as its own process,
an officer signs in (password + TOTP) and the pages are timed over HTTP; the resident
memory is read from /proc. Run: `python -m benchmarks.console [--tips N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pyotp
from sqlalchemy import func, insert, select, text

from storage import audit, migrate, officers, units
from storage.contexts import tip_context, tip_message_context
from storage.crypto import KeyStore, new_tipster_keys, seal
from storage.db import Database
from storage.models import AuditEvent, AuditHead, RefCounter, Tip, TipMessage, Unit
from storage.tips import CATEGORIES, TipContent

RESULTS = Path(__file__).parent / "results" / "console.json"
PASSPHRASE = "benchmark passphrase, not for real use"  # noqa: S105
PASSWORD = "benchmark officer password"  # noqa: S105
BATCH = 5000
TARGETS_MS = {"queue_p95": 50.0, "open_p95": 30.0}
TARGET_RSS_MB = 200.0
STATUS_WEIGHTS = {"new": 10, "triaged": 10, "assigned": 10, "investigating": 10, "closed": 60}
TEXT = (
    "Có người bán ma túy ở khu chợ, thường vào tối thứ Bảy. Đi xe máy màu đen, "
    "khoảng 30 tuổi. Đã thấy nhiều lần trong tháng này."
)


def _tip_rows(
    count: int, unit_ids: list[int], console: Any, tipster_public: bytes, year: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Tips, their messages (one in ten has a follow-up and a note) and their audit events."""
    now = dt.datetime.now(dt.UTC)
    statuses = random.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()), k=count)
    tips, messages, events = [], [], []
    for i in range(count):
        tip_id = uuid.uuid4()
        created = now - dt.timedelta(seconds=random.randint(0, 365 * 86400))
        status = statuses[i]
        opened = None if status == "new" else created + dt.timedelta(hours=random.randint(1, 30))
        closed = opened + dt.timedelta(days=3) if status == "closed" and opened else None
        content = TipContent(
            text=TEXT, place_unit_id=random.choice(unit_ids), address="Thôn 3", language="vi"
        )
        tips.append(
            {
                "id": tip_id,
                "ref": f"TB-{year}-{i + 1:06d}",
                "category": random.choice(CATEGORIES),
                "unit_id": random.choice(unit_ids),
                "status": status,
                "outcome": "actioned" if status == "closed" else None,
                "priority": random.choices(
                    ["low", "normal", "high", "urgent"], weights=[10, 70, 15, 5]
                )[0],
                "created_at": created,
                "updated_at": closed or opened or created,
                "first_opened_at": opened,
                "closed_at": closed,
                "purge_after": closed + dt.timedelta(days=365) if closed else None,
                "legal_hold": False,
                "attachment_count": 0,
                "key_id": console.key_id,
                "sealed": seal(console, content.to_bytes(), tip_context(tip_id)),
                "receipt_lookup": secrets.token_bytes(32),
                "tipster_public_key": tipster_public,
                "tipster_private_wrapped": secrets.token_bytes(120),
            }
        )
        events.append({"at": created, "action": "tip.submit", "ref": tips[-1]["ref"]})
        if i % 10 == 0:
            for direction in ("tipster", "note"):
                message_id = uuid.uuid4()
                messages.append(
                    {
                        "id": message_id,
                        "tip_id": tip_id,
                        "direction": direction,
                        "created_at": created + dt.timedelta(hours=2),
                        "key_id": console.key_id,
                        "sealed": seal(
                            console, b"Bo sung: bien so 12A-345.67", tip_message_context(message_id)
                        ),
                    }
                )
    return tips, messages, events


def _chain(events: list[dict[str, Any]], start_seq: int, prev: str) -> list[dict[str, Any]]:
    """Audit rows with a valid hash chain, as `storage.audit.record` would have written them."""
    rows = []
    for offset, item in enumerate(sorted(events, key=lambda e: e["at"])):
        event = AuditEvent(
            seq=start_seq + offset,
            at=item["at"],
            officer_id=None,
            actor="resident",
            action=item["action"],
            subject_type="tip",
            subject_id=item["ref"],
            details="{}",
            prev_hash=prev,
        )
        event.hash = audit._event_hash(event)
        prev = event.hash
        rows.append({c: getattr(event, c) for c in (
            "seq", "at", "officer_id", "actor", "action", "subject_type", "subject_id",
            "details", "prev_hash", "hash")})  # fmt: skip
    return rows


async def populate(db: Database, store: KeyStore, count: int) -> dict[str, Any]:
    """Write `count` sealed tips across the demo units; returns timing and sizes."""
    started = time.perf_counter()
    console = store.public_key("console")
    tipster_public = new_tipster_keys().public.to_bytes()
    async with db.read() as session:
        unit_ids = list((await session.scalars(select(Unit.id))).all())
    year = dt.datetime.now(dt.UTC).year
    tips, messages, events = _tip_rows(count, unit_ids, console, tipster_public, year)
    sealed_at = time.perf_counter()
    async with db.write() as session:
        head = await session.get(AuditHead, 1)
        assert head is not None
        audit_rows = _chain(events, head.seq + 1, head.last_hash)
        head.seq, head.last_hash = audit_rows[-1]["seq"], audit_rows[-1]["hash"]
    for start in range(0, count, BATCH):
        async with db.write() as session:
            await session.execute(insert(Tip), tips[start : start + BATCH])
            await session.execute(insert(AuditEvent), audit_rows[start : start + BATCH])
    async with db.write() as session:
        for start in range(0, len(messages), BATCH):
            await session.execute(insert(TipMessage), messages[start : start + BATCH])
        await session.execute(insert(RefCounter).values(year=year, last=count))
    async with db.write() as session:
        await session.execute(text("ANALYZE"))
    return {
        "tips": count,
        "messages": len(messages),
        "seal_seconds": round(sealed_at - started, 1),
        "insert_seconds": round(time.perf_counter() - sealed_at, 1),
    }


async def explain(db: Database) -> dict[str, list[str]]:
    """SQLite's plans for the queue's queries: they must use indexes, not scan the table."""
    from sqlalchemy.dialects import sqlite

    open_states = ("new", "triaged", "assigned", "investigating")
    async with db.read() as session:
        ids = list((await session.scalars(select(Unit.id))).all())
        scoped = Tip.unit_id.in_(ids)
        statements = {
            "page": select(Tip.id)
            .join(Unit, Unit.id == Tip.unit_id)
            .where(scoped, Tip.status.in_(open_states))
            .order_by(Tip.created_at.desc())
            .limit(25),
            "counts": select(Tip.status, func.count())
            .where(scoped, Tip.status.in_(open_states))
            .group_by(Tip.unit_id, Tip.status),
            "counts_filtered": select(Tip.status, func.count())
            .where(scoped, Tip.category == "drugs", Tip.priority == "high")
            .group_by(Tip.unit_id, Tip.status),
            "overdue": select(func.count())
            .select_from(Tip)
            .where(scoped, Tip.status.in_(open_states), Tip.first_opened_at.is_(None)),
            "open": select(Tip).join(Unit, Unit.id == Tip.unit_id).where(Tip.ref == "x"),
            "duplicates": select(Tip.ref).where(Tip.duplicate_of_id == uuid.uuid4()),
            "timeline": select(AuditEvent)
            .where(AuditEvent.subject_type == "tip", AuditEvent.subject_id == "x")
            .order_by(AuditEvent.seq.desc())
            .limit(300),
        }
        plans = {}
        for name, statement in statements.items():
            sql = statement.compile(
                dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}
            )
            rows = await session.execute(text(f"EXPLAIN QUERY PLAN {sql}"))
            plans[name] = [str(r[-1]) for r in rows.all()]
        return plans


class Console:
    """`tinbao console` in its own process over the benchmark's data dir."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("TINBAO_")}
        env |= {
            "TINBAO_DATA_DIR": str(data_dir),
            "TINBAO_KEY_PASSPHRASE": PASSPHRASE,
            "TINBAO_CONSOLE_PORT": str(port),
            "TINBAO_LOG_LEVEL": "WARNING",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "console"], env=env, stdout=subprocess.DEVNULL
        )

    async def wait(self, http: aiohttp.ClientSession) -> None:
        for _ in range(300):
            try:
                async with http.get(self.url + "/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
        raise RuntimeError("the console did not start")

    def rss_mb(self) -> dict[str, float]:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        values = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", status, re.M))
        return {k: round(int(v) / 1024, 1) for k, v in values.items()}

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


async def sign_in(http: aiohttp.ClientSession, url: str, username: str) -> None:
    """Password, then TOTP enrolment from the secret on the page."""
    csrf = re.compile(r'name="csrf_token" value="([^"]+)"')
    page = await (await http.get(url + "/login")).text()
    token = csrf.search(page)
    assert token
    form = {"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
    async with http.post(url + "/login", data=form) as response:
        enrol = await response.text()
    secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7]+)<', enrol)
    token = csrf.search(enrol)
    assert secret and token, "expected the TOTP enrolment page"
    code = pyotp.TOTP(secret.group(1)).now()
    async with http.post(
        url + "/login/enrol", data={"code": code, "csrf_token": token.group(1)}
    ) as response:
        assert response.status == 200 and "/login" not in str(response.url), response.url


async def timed(
    http: aiohttp.ClientSession, urls: list[str], headers: dict[str, str] | None = None
) -> dict[str, float]:
    """Sequential GETs; p50/p95 in milliseconds of the full request as a browser would wait."""
    times = []
    for url in urls:
        started = time.perf_counter()
        async with http.get(url, headers=headers) as response:
            await response.read()
            assert response.status == 200, (url, response.status)
        times.append((time.perf_counter() - started) * 1000)
    ordered = sorted(times)
    return {
        "n": len(times),
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 2),
        "max_ms": round(ordered[-1], 2),
    }


async def measure(data_dir: Path, db: Database, requests: int) -> dict[str, Any]:
    """Start the console, sign in, and time the pages."""
    async with db.read() as session:
        province = await units.get_unit_by_code(session, "LS")
        assert province is not None
        in_scope = list(
            (
                await session.scalars(
                    select(Tip.ref)
                    .join(Unit, Unit.id == Tip.unit_id)
                    .where(Unit.path.startswith(province.path))
                )
            ).all()
        )
    await officers.add_officer(
        db, username="hoa", password=PASSWORD, roles=("admin", "triage"), unit_code="LS"
    )
    token = await officers.issue_token(db, "hoa")
    bearer = {"Authorization": f"Bearer {token}"}
    port = 18000 + random.randint(0, 2000)
    console = Console(data_dir, port)
    results: dict[str, Any] = {}
    try:
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            await console.wait(http)
            results["rss_after_start_mb"] = console.rss_mb()
            await sign_in(http, console.url, "hoa")
            refs = random.sample(in_scope, requests)
            pages = [1 + (i % 20) for i in range(requests)]
            base = console.url
            # Warm-up: first requests load templates and fill caches.
            await timed(http, [f"{base}/tips"] * 5 + [f"{base}/tips/{refs[0]}"] * 3)
            queue_urls = [f"{base}/tips?page={p}" for p in pages]
            filtered = [
                f"{base}/tips?status=all&category={random.choice(CATEGORIES)}"
                f"&priority=high&page={1 + i % 3}"
                for i in range(requests)
            ]
            results["html_queue"] = await timed(http, queue_urls)
            results["html_queue_filtered"] = await timed(http, filtered)
            results["html_open"] = await timed(http, [f"{base}/tips/{r}" for r in refs])
            api_queue = [f"{base}/api/v1/tips?page={p}" for p in pages]
            results["api_queue"] = await timed(http, api_queue, bearer)
            random.shuffle(refs)
            results["api_open"] = await timed(
                http, [f"{base}/api/v1/tips/{r}" for r in refs], bearer
            )
            results["rss_mb"] = console.rss_mb()
    finally:
        console.stop()
    return results


def verdict(results: dict[str, Any]) -> dict[str, bool]:
    """Which targets of issue 4 were met."""
    return {
        "queue_p95_under_50ms": all(
            results[k]["p95_ms"] < TARGETS_MS["queue_p95"] for k in ("html_queue", "api_queue")
        ),
        "open_p95_under_30ms": all(
            results[k]["p95_ms"] < TARGETS_MS["open_p95"] for k in ("html_open", "api_open")
        ),
        # Resident memory while serving; the start-up peak (VmHWM) is the key files' scrypt.
        "rss_under_200mb": results["rss_mb"]["VmRSS"] < TARGET_RSS_MB,
    }


async def run(count: int, requests: int) -> dict[str, Any]:
    """Build the data set in a temporary data dir, measure, clean up."""
    data_dir = Path(tempfile.mkdtemp(prefix="tinbao-bench-"))
    try:
        store = KeyStore(data_dir / "keys")
        store.initialize(PASSPHRASE)
        url = f"sqlite+aiosqlite:///{data_dir / 'tinbao.sqlite3'}"
        await migrate.upgrade(url)
        db = Database(url)
        try:
            await units.import_units_file(db, units.DEMO_UNITS_CSV)
            print(f"Sealing and inserting {count:,} tips…", flush=True)
            data = await populate(db, store, count)
            print(f"  sealed in {data['seal_seconds']} s, inserted in {data['insert_seconds']} s")
            plans = await explain(db)
            figures = await measure(data_dir, db, requests)
        finally:
            await db.dispose()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return {"data": data, "query_plans": plans, **figures}


def main() -> None:
    """Run, print the figures and write them as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tips", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    random.seed(4)
    results = asyncio.run(run(args.tips, args.requests))
    results["targets_met"] = verdict(results)
    results["machine"] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        # Other work on the machine shows up in the tails: keep it next to the figures.
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }
    for name in ("html_queue", "html_queue_filtered", "api_queue", "html_open", "api_open"):
        figure = results[name]
        print(f"{name:<20} p50 {figure['p50_ms']:>7.2f} ms   p95 {figure['p95_ms']:>7.2f} ms")
    rss = results["rss_mb"]
    print(
        f"console RSS {rss['VmRSS']} MB while serving (peak {rss['VmHWM']} MB: unlocking the"
        " key files with scrypt at start-up)"
    )
    for name, plan in results["query_plans"].items():
        print(f"plan {name}: {' | '.join(plan)}")
    print("targets met:", results["targets_met"])
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
