"""Tip intake under load, through the sandbox Telegram and the real bot (HTTP, PTB, SQLite).

Residents fill in their drafts first (as people do, over minutes), then press Send:
  * steady: one Send every 100 ms (10 tips/s) for `--seconds`;
  * burst: 20 residents press Send at the same instant.
Meanwhile other residents send /start every few seconds, and a probe in the event loop
measures how late a 10 ms sleep wakes up (the receipt KDF must not block the loop).

Prints tips/s, submit-to-receipt latency (p50/p95/p99/max), time to the "sending…" state,
/start round trips and event-loop lag; writes benchmarks/results/intake.json.
Targets (2-core machine): steady p99 < 0.5 s, burst all answered < 1.5 s, lag p99 < 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.bootstrap import ensure_demo_content, open_core
from bot.config import Settings
from sandbox.testing import BotMessage, Resident
from storage.core import Core
from tests.support.botenv import BotEnv, running_bot
from tests.support.tip_flow import Draft, button_data, fill

RESULTS = Path(__file__).parent / "results" / "intake.json"
TARGETS = {"steady_p99_s": 0.5, "burst_max_s": 1.5, "loop_lag_p99_ms": 20.0}
PASSPHRASE = "benchmark passphrase, not for real use"  # noqa: S105 (a throwaway install)


def percentiles(values: list[float], scale: float = 1000.0) -> dict[str, float]:
    """p50/p95/p99/max of `values` (seconds) in milliseconds."""
    if not values:
        return {"count": 0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * scale, 1)

    return {
        "count": len(ordered),
        "p50": round(statistics.median(ordered) * scale, 1),
        "p95": at(0.95),
        "p99": at(0.99),
        "max": round(ordered[-1] * scale, 1),
    }


@dataclass
class Ready:
    """A resident whose draft waits on the summary, Send not yet pressed."""

    resident: Resident
    summary: BotMessage


@dataclass
class Submission:
    """What one press of Send took until the resident saw each answer."""

    sending: float = 0.0
    receipt: float = 0.0


@dataclass
class LagProbe:
    """How late a short sleep wakes up: the event loop's responsiveness."""

    interval: float = 0.01
    samples: list[float] = field(default_factory=list)
    recording: bool = False

    async def run(self) -> None:
        """Sleep `interval` forever, recording the overshoot while `recording`."""
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(self.interval)
            if self.recording:
                self.samples.append(max(0.0, loop.time() - start - self.interval))


def _text(resident: Resident, message_id: int) -> str:
    stored = resident.chat.messages.get(message_id)
    return BotMessage.from_dict(stored.to_dict()).text if stored is not None else ""


async def submit(env: BotEnv, ready: Ready) -> Submission:
    """Press Send and time the "sending…" state and the receipt, as the resident sees them."""
    resident, summary = ready.resident, ready.summary
    stored = resident.chat.messages[summary.message_id]
    data = button_data(summary, "tip:send:")
    loop = asyncio.get_running_loop()
    start = loop.time()
    query = env.sandbox.world.press_button(resident.user, stored, data)
    result = Submission()
    # The "sending…" notice on the button, or the edit if storing takes long.
    await resident.wait_for(
        lambda: query.answered or "Đang mã hóa" in _text(resident, summary.message_id),
        timeout=30,
        what="the sending state",
    )
    result.sending = loop.time() - start
    await resident.wait_for(
        lambda: "Mã biên nhận" in _text(resident, summary.message_id), timeout=30, what="receipt"
    )
    result.receipt = loop.time() - start
    return result


async def prepare(env: BotEnv, count: int, prefix: str, parallel: int = 8) -> list[Ready]:
    """`count` residents with a draft on the summary step."""
    residents = [env.resident(f"{prefix}{i}") for i in range(count)]
    gate = asyncio.Semaphore(parallel)

    async def one(index: int, resident: Resident) -> Ready:
        async with gate:
            text = f"Tin báo thử số {index}: có người buôn bán ma tuý ở thôn Nà Tàn."
            return Ready(resident, await fill(resident, Draft(text=text)))

    return list(await asyncio.gather(*(one(i, r) for i, r in enumerate(residents))))


async def observers(
    env: BotEnv, count: int, period: float, stop: asyncio.Event, times: list[float]
) -> None:
    """Other residents sending /start every `period` seconds each, staggered."""
    people = [env.resident(f"Khách {i}") for i in range(count)]
    loop = asyncio.get_running_loop()

    async def one(index: int, person: Resident) -> None:
        await asyncio.sleep(period * index / count)
        while not stop.is_set():
            start = loop.time()
            await person.send("/start")
            await person.expect("Xin chào", timeout=30)
            times.append(loop.time() - start)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(0.0, period - (loop.time() - start)))

    await asyncio.gather(*(one(i, p) for i, p in enumerate(people)))


async def paced(
    items: list[Ready], rate: float, action: Callable[[Ready], Awaitable[Submission]]
) -> tuple[list[Submission], float]:
    """Start `action` for each item at `rate` per second; returns results and elapsed time."""
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def at(index: int, item: Ready) -> Submission:
        await asyncio.sleep(max(0.0, start + index / rate - loop.time()))
        return await action(item)

    results = await asyncio.gather(*(at(i, item) for i, item in enumerate(items)))
    return list(results), loop.time() - start


@contextlib.asynccontextmanager
async def installation(database_url: str | None) -> AsyncIterator[Core]:
    """A fresh installation as `tinbao run` makes it: keys, migrations, demo units."""
    with tempfile.TemporaryDirectory(prefix="tinbao-bench-") as directory:
        settings = Settings(
            data_dir=Path(directory), key_passphrase=PASSPHRASE, database_url=database_url or ""
        )
        core = await open_core(settings, "all", demo=True, say=lambda _line: None)
        try:
            await ensure_demo_content(settings, core.db)
            yield core
        finally:
            await core.db.dispose()


async def run(
    seconds: float, rate: float, burst: int, database_url: str | None
) -> dict[str, object]:
    """The whole benchmark; returns the figures."""
    async with installation(database_url) as core, running_bot(core) as env:
        steady_count = round(seconds * rate)
        started = time.perf_counter()
        steady_ready = await prepare(env, steady_count, "Dân ")
        burst_ready = await prepare(env, burst, "Loạt ")
        prepared_in = time.perf_counter() - started

        probe = LagProbe()
        probe_task = asyncio.create_task(probe.run())
        stop = asyncio.Event()
        start_times: list[float] = []
        watchers = asyncio.create_task(observers(env, 10, 2.0, stop, start_times))
        await asyncio.sleep(1.0)  # the observers are under way
        probe.recording = True
        steady, elapsed = await paced(steady_ready, rate, lambda r: submit(env, r))
        await asyncio.sleep(0.5)
        burst_results = list(await asyncio.gather(*(submit(env, r) for r in burst_ready)))
        probe.recording = False
        stop.set()
        await watchers
        probe_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await probe_task

    receipts = [s.receipt for s in steady]
    figures: dict[str, object] = {
        "steady": {
            "offered_per_s": rate,
            "tips": len(steady),
            "tips_per_s": round(len(steady) / max(elapsed, 1e-9), 2),
            "submit_to_receipt_ms": percentiles(receipts),
            "submit_to_sending_state_ms": percentiles([s.sending for s in steady]),
        },
        "burst": {
            "tips": len(burst_results),
            "submit_to_receipt_ms": percentiles([s.receipt for s in burst_results]),
            "submit_to_sending_state_ms": percentiles([s.sending for s in burst_results]),
        },
        "other_residents_start_ms": percentiles(start_times),
        "event_loop_lag_ms": percentiles(probe.samples),
        "drafts_prepared_in_s": round(prepared_in, 1),
        "kdf": core.settings.kdf.to_dict(),
        "database": "postgresql" if database_url and "postgresql" in database_url else "sqlite",
        "cpu_count": os.cpu_count(),
        # Other work on the machine skews every figure; this says how busy it was.
        "load_average_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "targets": TARGETS,
    }
    steady_p99 = percentiles(receipts)["p99"] / 1000
    burst_max = percentiles([s.receipt for s in burst_results])["max"] / 1000
    lag_p99 = percentiles(probe.samples)["p99"]
    figures["met"] = {
        "steady_p99": steady_p99 < TARGETS["steady_p99_s"],
        "burst_max": burst_max < TARGETS["burst_max_s"],
        "loop_lag_p99": lag_p99 < TARGETS["loop_lag_p99_ms"],
    }
    return figures


def report(figures: dict[str, object]) -> None:
    """Print the figures a person reads."""
    steady = figures["steady"]
    burst = figures["burst"]
    assert isinstance(steady, dict) and isinstance(burst, dict)

    def line(label: str, values: object) -> None:
        assert isinstance(values, dict)
        shown = ", ".join(f"{k} {v}" for k, v in values.items() if k != "count")
        print(f"  {label}: {shown} ms")

    print(
        f"steady: {steady['tips']} tips offered at {steady['offered_per_s']}/s, "
        f"served {steady['tips_per_s']} tips/s"
    )
    line("submit → receipt", steady["submit_to_receipt_ms"])
    line("submit → 'sending…'", steady["submit_to_sending_state_ms"])
    print(f"burst: {burst['tips']} simultaneous submissions")
    line("submit → receipt", burst["submit_to_receipt_ms"])
    line("submit → 'sending…'", burst["submit_to_sending_state_ms"])
    line("other residents' /start round trip", figures["other_residents_start_ms"])
    line("event-loop lag (10 ms probe)", figures["event_loop_lag_ms"])
    print(f"targets met: {figures['met']}")


def main() -> None:
    """Run, print, write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the steady phase")
    parser.add_argument("--rate", type=float, default=10.0, help="tips per second, steady")
    parser.add_argument("--burst", type=int, default=20, help="simultaneous submissions")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    args = parser.parse_args()
    figures = asyncio.run(run(args.seconds, args.rate, args.burst, args.database_url))
    report(figures)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
