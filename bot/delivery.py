"""The delivery worker (DESIGN §5): one loop drains the outbox and the broadcast deliveries.

Rows are leased in batches, ordered in memory by when their chat may next receive a
message (the shared `Pacer`), and sent by up to `concurrency` tasks at once, each taking
a bot-wide slot first: the bot keeps to ≈30 messages/s overall, 20/minute per group and
≈1/s per private chat without waiting for Telegram to refuse. A row whose chat is busy for
longer than `horizon_seconds` goes back to the database, due when the chat is free.
Results are committed as they come (several per transaction when they come together),
so a worker that dies leaves only its in-flight messages to be sent again.

On RetryAfter the worker pauses all sending for as long as Telegram says; on Forbidden
the chat is marked inactive; network errors and 5xx are retried with back-off.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import heapq
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from telegram import Bot
from telegram.error import ChatMigrated, RetryAfter, TelegramError

from bot import outbox_send
from bot.outbox_send import ROUTE_RESOLVERS
from bot.pacing import Pacer
from bot.ratelimit import retry_seconds
from bot.sending import outcome_of, photo_file_id, post
from storage import deliveries, outbox, warnings
from storage.core import Core
from storage.deliveries import Content, Job, Outcome

__all__ = ["ROUTE_RESOLVERS", "DeliveryWorker", "OutboxWorker", "WorkerSettings"]

log = logging.getLogger(__name__)

Item = Job | outbox_send.Addressed


@dataclass(frozen=True)
class WorkerSettings:
    """How the worker runs (the rates themselves are the Pacer's `FloodBudget`)."""

    concurrency: int = 8
    lease_seconds: float = 60.0
    idle_seconds: float = 0.5
    horizon_seconds: float = 2.0
    housekeeping_seconds: float = 1.0
    grace_seconds: float = 10.0
    commit_gather_seconds: float = 0.005


@dataclass(order=True)
class _Entry:
    ready: float
    priority: int
    seq: int
    item: Item = field(compare=False)


def _key(item: Item) -> tuple[str, object]:
    return ("o", item.message.id) if isinstance(item, outbox_send.Addressed) else ("d", item.id)


class DeliveryWorker:
    """Sends due outbox messages and deliveries within the flood budget; see the module doc."""

    def __init__(
        self,
        core: Core,
        bot: Bot,
        *,
        pacer: Pacer | None = None,
        settings: WorkerSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.core = core
        self.bot = bot
        self.pacer = pacer or Pacer(clock=clock)
        self.settings = settings or WorkerSettings()
        self.clock = clock
        self.handled = 0
        rate = self.pacer.budget.overall_per_second
        lease = self.settings.lease_seconds
        # What waits in memory must go out well within its lease.
        self._batch = max(10, int(min(rate * 2, rate * lease / 4)))
        self._horizon = min(self.settings.horizon_seconds, lease / 4)
        self._heap: list[_Entry] = []
        self._held: set[tuple[str, object]] = set()
        self._seq = itertools.count()
        self._slots = asyncio.Semaphore(self.settings.concurrency)
        self._sending: set[asyncio.Task[None]] = set()
        self._results: list[tuple[Outcome, asyncio.Future[None]]] = []
        self._results_ready = asyncio.Event()
        self._releases: list[tuple[Job, dt.datetime]] = []
        self._contents: dict[int, Content] = {}
        self._photo_locks: dict[int, asyncio.Lock] = {}
        self._wake = asyncio.Event()
        self._next_fill = 0.0
        self._next_due = float("inf")
        self._next_housekeeping = 0.0
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False
        self._stopping = False

    # --- life cycle -------------------------------------------------------------------

    def wake(self) -> None:
        """Look for due rows now instead of at the next tick."""
        self._next_fill = 0.0
        self._wake.set()

    def start(self) -> None:
        """Run in the background until `stop` (or `abort`)."""
        self._tasks = [
            asyncio.create_task(self._run(), name="delivery-dispatch"),
            asyncio.create_task(self._record_forever(), name="delivery-record"),
        ]

    async def stop(self) -> None:
        """Stop taking rows, let the messages in flight finish and record them.

        The loops are asked to end rather than cancelled: a task cancelled inside a
        database call can leave SQLite's write lock held by a half-closed connection.
        """
        self._stopping = True
        self._wake.set()
        try:
            if self._tasks:
                await self._tasks[0]
            if self._sending:
                _done, late = await asyncio.wait(self._sending, timeout=self.settings.grace_seconds)
                for task in late:
                    task.cancel()
            for task in self._tasks[1:]:
                await self._stop_recorder(task)
        finally:
            self._stopping = False
        self._tasks = []
        await self._flush_results()
        # What was leased but never tried goes back at once, not after its lease.
        now = dt.datetime.now(dt.UTC)
        self._releases += [(e.item, now) for e in self._heap if isinstance(e.item, Job)]
        self._heap.clear()
        self._held.clear()
        await self._flush_releases()

    async def abort(self) -> None:
        """Die like a killed process: nothing in flight is recorded, leases stay taken."""
        for task in [*self._tasks, *self._sending]:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._sending, return_exceptions=True)
        self._tasks, self._heap, self._results = [], [], []
        self._held.clear()

    async def drain_once(self) -> int:
        """Without the background loop: send everything due now; returns how many."""
        before = self.handled
        self._next_fill = 0.0
        recorder = asyncio.create_task(self._record_forever())
        try:
            while True:
                await self._housekeeping()
                await self._fill()
                if not self._heap:
                    break
                while self._heap:
                    await self._dispatch_one()
                    await self._flush_releases()
            if self._sending:
                await asyncio.wait(self._sending)
        finally:
            await self._stop_recorder(recorder)
        await self._flush_results()
        return self.handled - before

    # --- the dispatching loop -----------------------------------------------------------

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self._step()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("delivery pass failed; retrying")
                await asyncio.sleep(self.settings.idle_seconds)

    async def _step(self) -> None:
        now = self.clock()
        if now >= self._next_housekeeping:
            self._next_housekeeping = now + self.settings.housekeeping_seconds
            await self._housekeeping()
        await self._flush_releases()
        due = now >= self._next_due
        wanted = len(self._heap) < self._batch // 2 and (now >= self._next_fill or due)
        if due:
            self._next_due = float("inf")
        if wanted and not await self._fill():
            self._next_fill = now + self.settings.idle_seconds
        if self._heap:
            await self._dispatch_one()
            return
        pause = min(self.settings.idle_seconds, max(0.0, self._next_due - now))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), pause)
        self._wake.clear()

    async def _housekeeping(self) -> None:
        """Start scheduled warnings that are due; close those whose deliveries are done."""
        await warnings.start_due(self.core)
        await warnings.finish_done(self.core)

    def _push(self, item: Item, priority: int) -> None:
        key = _key(item)
        if key in self._held:  # our own lease ran out and we took the row again
            return
        self._held.add(key)
        ready = max(self.pacer.chat_ready_at(item.chat_id), self.clock())
        heapq.heappush(self._heap, _Entry(ready, priority, next(self._seq), item))

    async def _fill(self) -> int:
        """Lease due outbox messages, then deliveries, into the in-memory queue."""
        ring = self.core.vault.require_relay()
        found = 0
        for message in await outbox.claim_due(self.core, ring, limit=max(5, self._batch // 4)):
            addressed = await outbox_send.address(self.core, message)
            if addressed is not None:
                self._push(addressed, 0)
            found += 1
        room = self._batch - len(self._heap)
        if room > 0:
            lease = dt.timedelta(seconds=self.settings.lease_seconds)
            for job in await deliveries.claim(self.core, ring, limit=room, lease=lease):
                self._push(job, job.priority)
                found += 1
        return found

    async def _dispatch_one(self) -> None:
        """Send the head of the queue when its chat and the bot have a slot for it."""
        entry = self._heap[0]
        chat_id = entry.item.chat_id
        now = self.clock()
        ready = self.pacer.chat_ready_at(chat_id)
        if ready > entry.ready + 1e-9:
            heapq.heapreplace(self._heap, _Entry(ready, entry.priority, entry.seq, entry.item))
            return
        if ready - now > self._horizon and isinstance(entry.item, Job):
            heapq.heappop(self._heap)
            self._defer(entry.item)
            return
        if ready > now:
            await asyncio.sleep(min(ready - now, self.settings.idle_seconds))
            return
        await self._slots.acquire()
        try:
            await self.pacer.wait_overall()
        except BaseException:
            self._slots.release()
            raise
        if self.pacer.chat_ready_at(chat_id) > self.clock():  # a reply took the chat's slot
            self._slots.release()
            return
        heapq.heappop(self._heap)
        self.pacer.take(chat_id)
        task = asyncio.create_task(self._deliver(entry.item))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    def _defer(self, job: Job) -> None:
        """Back to the database, due when the chat is free (after the ones already deferred)."""
        ahead = sum(1 for j, _ in self._releases if j.chat_id == job.chat_id)
        wait = max(0.0, self.pacer.chat_ready_after(job.chat_id, ahead) - self.clock())
        self._held.discard(_key(job))
        self._releases.append((job, dt.datetime.now(dt.UTC) + dt.timedelta(seconds=wait)))
        # Look for it again as soon as it is due, not at the next idle tick.
        self._next_due = min(self._next_due, self.clock() + wait)

    async def _flush_releases(self) -> None:
        if self._releases:
            batch, self._releases = self._releases, []
            await deliveries.release(self.core, batch)

    # --- sending -----------------------------------------------------------------------

    async def _deliver(self, item: Item) -> None:
        try:
            if isinstance(item, outbox_send.Addressed):
                seconds = await outbox_send.send(self.core, self.bot, item)
                if seconds is not None:
                    self._hold(item.chat_id, seconds)
                self._held.discard(_key(item))
                self.handled += 1
                return
            outcome = await self._send_job(item)
            # The slot stays taken until the outcome is committed: a worker that dies
            # then repeats at most `concurrency` messages, never more.
            committed = asyncio.get_running_loop().create_future()
            self._results.append((outcome, committed))
            self._results_ready.set()
            await committed
        except Exception:
            log.exception("sending failed unexpectedly")
        finally:
            self._slots.release()

    def _hold(self, chat_id: int, seconds: float) -> None:
        """Telegram said to wait: the chat, and (not knowing which limit it was) everyone."""
        log.warning("Telegram asked to wait %.1f s; pausing delivery", seconds)
        self.pacer.hold_chat(chat_id, seconds)
        self.pacer.hold_all(seconds)

    async def _content(self, broadcast_id: int) -> Content | None:
        found = self._contents.get(broadcast_id)
        if found is None:
            found = await deliveries.content(self.core, broadcast_id)
            if found is not None:
                if len(self._contents) > 64:
                    self._contents.clear()
                self._contents[broadcast_id] = found
        return found

    async def _send_job(self, job: Job) -> Outcome:
        try:
            content = await self._content(job.broadcast_id)
            if content is None:
                return Outcome(job, "failed", error="the broadcast is gone")
            if content.image is not None and content.photo_file_id is None:
                return await self._send_first_photo(job)
            message = await post(self.bot, job, content)
        except ChatMigrated as exc:
            if job.group_id is not None:
                await deliveries.migrate_group(self.core, job.group_id, int(exc.new_chat_id))
            return outcome_of(job, exc)
        except TelegramError as exc:
            if isinstance(exc, RetryAfter):
                self._hold(job.chat_id, retry_seconds(exc))
            return outcome_of(job, exc)
        return Outcome(job, "sent", message_id=message.message_id)

    async def _send_first_photo(self, job: Job) -> Outcome:
        """Upload the picture once; the chats after it get Telegram's file id."""
        lock = self._photo_locks.setdefault(job.broadcast_id, asyncio.Lock())
        async with lock:
            content = self._contents[job.broadcast_id]
            if content.photo_file_id is None:
                fresh = await deliveries.content(self.core, job.broadcast_id)
                content = fresh or content
            message = await post(self.bot, job, content)
            file_id = photo_file_id(message)
            if content.photo_file_id is None and file_id is not None:
                self._contents[job.broadcast_id] = Content(
                    content.texts, content.image, content.image_mime, file_id
                )
                await deliveries.remember_photo(self.core, job.broadcast_id, file_id)
        return Outcome(job, "sent", message_id=message.message_id)

    # --- recording ---------------------------------------------------------------------

    async def _stop_recorder(self, recorder: asyncio.Task[None]) -> None:
        """Let the recorder finish its commit and return, rather than cancel it mid-transaction.

        A cancelled await does not stop aiosqlite's thread: the transaction it was in could
        keep SQLite's write lock with nobody left to commit it.
        """
        self._closing = True
        self._results_ready.set()
        try:
            await recorder
        finally:
            self._closing = False

    async def _record_forever(self) -> None:
        while not self._closing:
            await self._results_ready.wait()
            if not self._closing:
                # A moment for the other sends in flight to finish: one commit for them all.
                await asyncio.sleep(self.settings.commit_gather_seconds)
            self._results_ready.clear()
            try:
                await self._flush_results()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("recording deliveries failed; retrying")
                await asyncio.sleep(self.settings.idle_seconds)
                self._results_ready.set()

    async def _flush_results(self) -> None:
        """Commit what the sends reported, all that has come in, in one transaction."""
        while self._results:
            batch = self._results
            self._results = []
            try:
                await deliveries.settle(self.core, [outcome for outcome, _ in batch])
            except BaseException:
                self._results = batch + self._results
                raise
            for outcome, committed in batch:
                self._held.discard(_key(outcome.job))
                if not committed.done():
                    committed.set_result(None)
            self.handled += len(batch)


# The name the composition root and older tests know it by.
OutboxWorker = DeliveryWorker
