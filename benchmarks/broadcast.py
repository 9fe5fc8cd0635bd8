"""Broadcast delivery against the sandbox enforcing Telegram's flood limits, scaled.

The sandbox runs in its own process (as Telegram would be elsewhere) and enforces the
limits times SCALE; the delivery worker is given the same scaled budget. Two runs:

- "broadcast": warnings to 300 groups and 1,000 subscribers — bound by the bot-wide
  rate (30 × SCALE messages/s);
- "groups": many warnings to a few groups — bound by the per-group rate
  (20 × SCALE messages/minute each).

Printed and written to benchmarks/results/broadcast.json: achieved messages/s against
the allowed rate as a ratio, per-group and per-chat compliance, 429s, duplicates and
losses. `--compare-ptb` also runs "broadcast" through PTB's AIORateLimiter instead of the
worker's own pacing, for comparison.

    .venv/bin/python -m benchmarks.broadcast [--scale 5] [--database URL] [--compare-ptb]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import platform
import shutil
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results" / "broadcast.json"
TOKEN = "123456789:benchmark-token-for-the-local-sandbox-only"  # noqa: S105
PASSPHRASE = "benchmark passphrase"  # noqa: S105


# --- the sandbox process -------------------------------------------------------------------


def _chat_report(
    world: Any, flood: Any, chat: Any, titles: list[str], window: float
) -> dict[str, Any]:
    bot_id = world.default_bot.id
    texts = [
        str(m.to_dict().get("text", m.to_dict().get("caption", "")))
        for m in chat.messages.values()
        if m.sender.id == bot_id
    ]
    counts = [sum(title in text for text in texts) for title in titles]
    return {
        "received": counts,
        "accepted": flood.accepted(chat.id),
        "max_in_window": flood.max_in_window(chat.id, window),
        "rejected": flood.rejected(chat.id),
    }


async def _sandbox_main(conn: Connection, scale: float) -> None:
    from sandbox.limits import FloodLimits
    from sandbox.server import start_sandbox

    box = await start_sandbox(bot_token=TOKEN, limits=FloodLimits(scale=scale))
    world, bot = box.world, box.world.default_bot
    conn.send(box.api_base_url)
    loop = asyncio.get_running_loop()
    chats: dict[str, list[Any]] = {}
    while True:
        command, *args = await loop.run_in_executor(None, conn.recv)
        if command == "populate":
            name, groups, residents = args
            made = []
            for number in range(groups):
                chat = world.add_group(f"{name} nhóm {number}", [])
                chat.members[bot.id] = "member"
                made.append(chat)
            for number in range(residents):
                chat = world.private_chat(bot, world.add_user(f"{name} dân {number}"))
                chat.started = True
                made.append(chat)
            chats[name] = made
            conn.send(([c.id for c in made if c.is_group], [c.id for c in made if not c.is_group]))
        elif command == "reset":
            bot.flood.reset()
            conn.send(True)
        elif command == "report":
            name, titles = args
            group_window, private_window = 60 / scale, 1 / scale
            report = [
                _chat_report(
                    world, bot.flood, c, titles, group_window if c.is_group else private_window
                )
                for c in chats[name]
            ]
            kinds = ["group" if c.is_group else "private" for c in chats[name]]
            conn.send((report, kinds, bot.flood.total_rejected))
        else:
            await box.close()
            conn.send(True)
            return


def _sandbox_process(conn: Connection, scale: float) -> None:
    asyncio.run(_sandbox_main(conn, scale))


class Sandbox:
    """The sandbox process and the commands it understands."""

    def __init__(self, scale: float) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_sandbox_process, args=(child, scale), daemon=True)
        self.process.start()
        self.api_url: str = self.conn.recv()

    def ask(self, *command: Any) -> Any:
        self.conn.send(command)
        return self.conn.recv()

    def stop(self) -> None:
        self.ask("stop")
        self.process.join(5)


# --- the bot side ------------------------------------------------------------------------


async def _core(database_url: str | None, directory: Path) -> Any:
    from storage import migrate, units
    from storage.core import Core, Vault
    from storage.crypto import CHEAP_KDF_PARAMS, KeyStore
    from storage.db import Database
    from storage.settings import CoreSettings

    url = database_url or f"sqlite+aiosqlite:///{directory / 'bench.sqlite3'}"
    await migrate.upgrade(url)
    db = Database(url)
    await units.import_units_file(db, units.DEMO_UNITS_CSV)
    store = KeyStore(directory / "keys", scrypt_n=2**10)
    store.initialize(PASSPHRASE)
    vault = Vault(
        console_public=store.public_key("console"),
        relay_public=store.public_key("relay"),
        secrets=store.secrets(PASSPHRASE),
        relay_ring=store.unlock("relay", PASSPHRASE),
    )
    settings = CoreSettings(database_url=url, data_dir=directory, kdf=CHEAP_KDF_PARAMS)
    return Core(db=db, vault=vault, settings=settings)


async def _queue_warnings(core: Any, unit_code: str, titles: list[str]) -> list[int]:
    from storage import warnings
    from tests.support.broadcasting import broadcaster
    from tests.support.officers import unit_id

    officer = await broadcaster(core, f"bench{len(titles)}{unit_code.lower()}".replace("-", ""))
    queued = []
    for title in titles:
        draft = warnings.WarningDraft(
            title_vi=title,
            body_vi="Thủ đoạn <b>lừa đảo qua mạng</b>: không chuyển tiền cho người lạ.",
            category="fraud",
            severity="Severe",
            urgency="Expected",
            unit_ids=[await unit_id(core, unit_code)],
        )
        warning_id = await warnings.create(core, officer, draft)
        await warnings.send_now(core, officer, warning_id)
        queued.append(warning_id)
    return queued


async def _unsettled(core: Any, warning_ids: list[int]) -> int:
    from storage.warning_queries import warning_progress

    async with core.db.read() as session:
        return sum([(await warning_progress(session, w)).pending for w in warning_ids])


async def _deliver(
    core: Any, api_url: str, scale: float, warning_ids: list[int], *, ptb: bool
) -> tuple[float, float]:
    """Run a worker until every delivery is settled: wall and CPU seconds it took."""
    from telegram.ext import AIORateLimiter, ExtBot

    from bot.delivery import DeliveryWorker, WorkerSettings
    from bot.pacing import FloodBudget, Pacer
    from bot.telegram_client import fast_async_probe, worker_bot
    from tests.support.broadcasting import scaled_budget

    concurrency = 8
    if ptb:  # PTB's limiter paces; the worker's own budget is set out of the way
        fast_async_probe()
        limiter = AIORateLimiter(
            overall_max_rate=30 * scale, group_max_rate=20 * scale, group_time_period=60
        )
        bot: Any = ExtBot(TOKEN, base_url=api_url, rate_limiter=limiter)
        budget = FloodBudget(overall_per_second=1e5, group_per_minute=1e7, private_per_second=1e5)
    else:
        bot = worker_bot(TOKEN, api_url, api_url, concurrency)
        budget = scaled_budget(scale)
    settings = WorkerSettings(concurrency=concurrency, idle_seconds=0.05)
    async with bot:
        worker = DeliveryWorker(core, bot, pacer=Pacer(budget), settings=settings)
        started, cpu = time.monotonic(), time.process_time()
        worker.start()
        while await _unsettled(core, warning_ids):  # noqa: ASYNC110 (polling is the measurement)
            await asyncio.sleep(0.05)
        elapsed, cpu = time.monotonic() - started, time.process_time() - cpu
        await worker.stop()
    return elapsed, cpu


def _sustained(times: list[float], burst: int) -> float:
    """Messages per second after the first burst (which the limits allow at once)."""
    times = sorted(times)[burst - 1 :]
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0


def _figures(
    name: str,
    report: list[dict[str, Any]],
    kinds: list[str],
    rejected: int,
    titles: list[str],
    budget: Any,
) -> dict[str, Any]:
    everything = [t for chat in report for t in chat["accepted"]]
    groups = [c for c, k in zip(report, kinds, strict=True) if k == "group"]
    privates = [c for c, k in zip(report, kinds, strict=True) if k == "private"]
    received = [n for chat in report for n in chat["received"]]
    return {
        "scenario": name,
        "messages": len(everything),
        "expected": len(report) * len(titles),
        "sustained_per_second": round(_sustained(everything, budget.overall_burst), 1),
        "duplicates": sum(n - 1 for n in received if n > 1),
        "losses": sum(1 for n in received if n == 0),
        "rejected_429": rejected,
        "groups": len(groups),
        "groups_compliant": sum(c["max_in_window"] <= 20 and not c["rejected"] for c in groups),
        "group_max_in_window": max((c["max_in_window"] for c in groups), default=0),
        "group_rates": [
            _sustained(c["accepted"], budget.group_burst)
            for c in groups
            if len(c["accepted"]) > budget.group_burst
        ],
        "private_max_in_window": max((c["max_in_window"] for c in privates), default=0),
    }


async def _scenario(
    sandbox: Sandbox,
    core: Any,
    scale: float,
    *,
    name: str,
    unit_code: str,
    groups: int,
    residents: int,
    warnings: int,
    ptb: bool = False,
) -> dict[str, Any]:
    from tests.support.broadcasting import many_groups, many_subscribers, scaled_budget

    group_ids, private_ids = sandbox.ask("populate", name, groups, residents)
    await many_groups(core, group_ids, unit_code)
    await many_subscribers(core, private_ids, unit_code)
    titles = [f"[{name}] cảnh báo số {n + 1:02d}" for n in range(warnings)]
    warning_ids = await _queue_warnings(core, unit_code, titles)
    sandbox.ask("reset")
    elapsed, cpu = await _deliver(core, sandbox.api_url, scale, warning_ids, ptb=ptb)
    report, kinds, rejected = sandbox.ask("report", name, titles)
    figures = _figures(name, report, kinds, rejected, titles, scaled_budget(scale))
    figures["seconds"] = round(elapsed, 2)
    figures["bot_cpu_ms_per_message"] = round(cpu * 1000 / max(1, figures["messages"]), 2)
    rates = figures.pop("group_rates")
    if groups and not residents:  # bound by the per-group rate: judged group by group
        allowed = 20 * scale / 60
        per_group = sum(rates) / len(rates) if rates else 0.0
        figures["sustained_per_second"] = round(per_group, 2)
        figures["allowed_per_second"] = round(allowed, 2)
        figures["ratio"] = round(per_group / allowed, 3)
    else:
        allowed = 30 * scale
        figures["allowed_per_second"] = round(allowed, 1)
        figures["ratio"] = round(figures["sustained_per_second"] / allowed, 3)
    return figures


def _print(result: dict[str, Any]) -> None:
    print(
        f"  {result['scenario']:<16} {result['messages']:>5} msgs in {result['seconds']:>6.2f} s: "
        f"{result['sustained_per_second']:>7.2f}/s of {result['allowed_per_second']:.2f} allowed "
        f"{'per group' if result['scenario'] == 'groups' else 'overall'} "
        f"= ratio {result['ratio']:.3f}"
    )
    print(
        f"  {'':<16} 429s {result['rejected_429']}, duplicates {result['duplicates']}, "
        f"losses {result['losses']}, groups compliant {result['groups_compliant']}/"
        f"{result['groups']} (max {result['group_max_in_window']} per group-minute), "
        f"max {result['private_max_in_window']} per private-second, "
        f"bot CPU {result['bot_cpu_ms_per_message']} ms/msg"
    )


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    logging.getLogger("telegram.ext").setLevel(logging.CRITICAL)  # PTB logs each 429 it hits
    directory = Path(tempfile.mkdtemp(prefix="tinbao-bench-"))
    sandbox = Sandbox(args.scale)
    core = await _core(args.database, directory)
    results = []
    try:
        print(
            f"Flood limits scaled by {args.scale:g}: {30 * args.scale:g} msgs/s overall, "
            f"{20 * args.scale:g}/min per group, {args.scale:g}/s per private chat."
        )
        runs = [
            {
                "name": "broadcast",
                "unit_code": "LS-THANH-LONG",
                "groups": 300,
                "residents": 1000,
                "warnings": args.warnings,
            },
            {
                "name": "groups",
                "unit_code": "LS-BAO-LAM",
                "groups": 20,
                "residents": 0,
                "warnings": 40,
            },
        ]
        if args.compare_ptb:
            runs.append(
                {
                    "name": "broadcast-ptb",
                    "unit_code": "LS-CAO-LAU",
                    "groups": 300,
                    "residents": 1000,
                    "warnings": args.warnings,
                    "ptb": True,
                }
            )
        for run in runs:
            result = await _scenario(sandbox, core, args.scale, **run)  # type: ignore[arg-type]
            _print(result)
            results.append(result)
    finally:
        await core.db.dispose()
        sandbox.stop()
        shutil.rmtree(directory, ignore_errors=True)
    own = [r for r in results if not r["scenario"].endswith("-ptb")]
    return {
        "scale": args.scale,
        "database": "postgresql" if args.database else "sqlite",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": multiprocessing.cpu_count(),
        "runs": results,
        "target_met": all(
            r["ratio"] >= 0.95
            and r["rejected_429"] == 0
            and not r["duplicates"]
            and not r["losses"]
            for r in own
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.broadcast", description=__doc__)
    parser.add_argument("--scale", type=float, default=5.0, help="flood limits × this")
    parser.add_argument("--warnings", type=int, default=2, help="warnings in the broadcast run")
    parser.add_argument("--database", help="a postgresql+asyncpg:// URL (default: SQLite)")
    parser.add_argument("--compare-ptb", action="store_true", help="also pace with AIORateLimiter")
    args = parser.parse_args()
    figures = asyncio.run(_main(args))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    print(f"target (ratio ≥ 0.95, no 429s, duplicates or losses): {figures['target_met']}")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
