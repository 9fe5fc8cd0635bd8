"""The audit chain check on a large log: how long it takes, and what the event loop feels.

Writes 100,000 chained events straight into a SQLite database (as a year of tip reads
would leave them), then checks the chain as the /audit page does, while a probe measures
the lag of the event loop the bot shares with the console. Prints figures, writes JSON.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, update

from storage import audit, migrate
from storage.db import Database
from storage.models import AuditEvent, AuditHead

RESULTS = Path(__file__).parent / "results" / "audit.json"
EVENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
BATCH = 10_000


def _events(start: dt.datetime) -> tuple[list[dict[str, object]], str]:
    """Chained tip reads by a handful of officers; returns the rows and the last hash."""
    rows, prev = [], audit.GENESIS_HASH
    for seq in range(1, EVENTS + 1):
        row: dict[str, object] = {
            "seq": seq,
            "at": start + dt.timedelta(seconds=seq * 30),
            "officer_id": None,
            "actor": f"officer:{seq % 7 + 1}",
            "action": "tip.read",
            "subject_type": "tip",
            "subject_id": f"TB-2026-{seq:06d}",
            "details": json.dumps({"unit": "LS-THANH-LONG"}),
            "prev_hash": prev,
        }
        prev = audit.hash_of(*(row[column.key] for column in audit.HASHED))  # type: ignore[arg-type]
        row["hash"] = prev
        rows.append(row)
    return rows, prev


async def _probe(lags: list[float], stop: asyncio.Event) -> None:
    """Sleep 10 ms again and again; how late each wake-up is, is the loop's lag."""
    while not stop.is_set():
        t = time.perf_counter()
        await asyncio.sleep(0.01)
        lags.append(time.perf_counter() - t - 0.01)


async def run() -> dict[str, object]:
    data_dir = Path(tempfile.mkdtemp(prefix="tinbao-bench-audit-"))
    url = f"sqlite+aiosqlite:///{data_dir / 'audit.db'}"
    try:
        await migrate.upgrade(url)
        db = Database(url)
        rows, last = _events(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        async with db.write() as session:
            for i in range(0, len(rows), BATCH):
                await session.execute(insert(AuditEvent), rows[i : i + BATCH])
            await session.execute(
                update(AuditHead).where(AuditHead.id == 1).values(seq=EVENTS, last_hash=last)
            )
        seconds, lags = [], []
        for _ in range(3):
            stop = asyncio.Event()
            probe = asyncio.create_task(_probe(lags, stop))
            t = time.perf_counter()
            async with db.read() as session:
                report = await audit.verify_chain(session)
            seconds.append(time.perf_counter() - t)
            stop.set()
            await probe
            assert report.intact and report.events == EVENTS, report
        await db.dispose()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    ordered = sorted(lags)
    return {
        "events": EVENTS,
        "check_seconds_median": round(statistics.median(seconds), 2),
        "events_per_second": round(EVENTS / statistics.median(seconds)),
        "loop_lag_ms_p99": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 1),
        "loop_lag_ms_max": round(ordered[-1] * 1000, 1),
        "python": platform.python_version(),
    }


def main() -> None:
    """Run the benchmark, print the figures and write them as JSON."""
    results = asyncio.run(run())
    print(
        f"chain check of {results['events']:,} events: {results['check_seconds_median']} s "
        f"({results['events_per_second']:,} events/s)"
    )
    print(
        f"event-loop lag meanwhile (10 ms probe): p99 {results['loop_lag_ms_p99']} ms, "
        f"max {results['loop_lag_ms_max']} ms"
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
