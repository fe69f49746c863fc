"""Group commit: requests that arrive while every database slot is busy are handled together.

SQLite has one writer, so requests are handled one transaction at a time; PostgreSQL takes a few at
once. Under a burst (a hundred members checking in at the start of a meeting) most requests wait for a
slot. Instead of one transaction each, whoever gets a slot takes every request waiting then (up to
``most``) and runs them in one transaction: one BEGIN and COMMIT, one statement marking them all handled,
the rows they write flushed together. The function that runs a batch falls back to one transaction per
request when the batch fails as a whole (a duplicate update, a database error, a bug in one flow), so a
request's outcome never depends on who it was batched with. Alone, a request is run as it always was, and
a request that may take long (a report) always goes alone, so it holds up no batch.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

# Runs a batch; one outcome per item, in order: a result, or the exception that item raised.
Run = Callable[[list[Any]], Awaitable[list[Any]]]


@dataclass
class _Waiting:
    item: Any
    run: Run
    together: bool
    future: asyncio.Future[Any]


class Batcher:
    def __init__(self, slots: int, most: int = 100):
        self.slots, self.most = slots, most
        self._waiting: deque[_Waiting] = deque()
        self._running: set[asyncio.Task] = set()
        self._closed = False

    async def submit(self, item: Any, run: Run, *, together: bool = True) -> Any:
        """Run ``item`` and give its outcome: with the others waiting then that have the same ``run`` (when
        every slot is busy), or alone (``together=False``: a long request holds up nobody in its batch)."""
        if self._closed:
            raise asyncio.CancelledError("stopping: nothing new is handled")
        waiting = _Waiting(item, run, together, asyncio.get_running_loop().create_future())
        self._waiting.append(waiting)
        self._start()
        return await waiting.future

    def _start(self) -> None:
        while not self._closed and len(self._running) < self.slots and self._waiting:
            first = self._waiting.popleft()
            if first.future.cancelled():  # its requester gave up
                continue
            batch = [first]
            while (first.together and self._waiting and len(batch) < self.most and self._waiting[0].together
                   and self._waiting[0].run == first.run):
                waiting = self._waiting.popleft()
                if not waiting.future.cancelled():
                    batch.append(waiting)
            self._running.add(asyncio.create_task(self._run(first.run, batch), name="chibo-batch"))

    async def _run(self, run: Run, batch: list[_Waiting]) -> None:
        outcomes: list[Any] | None = None
        try:
            outcomes = await run([w.item for w in batch])
        except Exception as exc:  # the runner itself failed: everyone in the batch hears it
            outcomes = [exc] * len(batch)
        finally:
            self._running.discard(asyncio.current_task())
            if outcomes is None:  # cancelled (stopping): so are its requests
                for waiting in batch:
                    waiting.future.cancel()
            else:
                _settle(batch, outcomes)
            self._start()

    async def stop(self, timeout: float = 5.0) -> None:
        """Start nothing more, and wait for the batches running (up to ``timeout``; then they are cancelled,
        their transactions rolled back and their updates left in the inbox for the next start)."""
        self._closed = True
        while self._waiting:
            self._waiting.popleft().future.cancel()
        running = set(self._running)
        if running:
            _, pending = await asyncio.wait(running, timeout=timeout)
            for task in pending:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)


def _settle(batch: list[_Waiting], outcomes: list[Any]) -> None:
    if len(outcomes) != len(batch):  # a runner's bug: nobody may wait forever for it
        outcomes = [RuntimeError(f"{len(outcomes)} outcomes for {len(batch)} requests")] * len(batch)
    for waiting, outcome in zip(batch, outcomes, strict=True):
        if waiting.future.done():
            continue
        if isinstance(outcome, BaseException):
            waiting.future.set_exception(outcome)
        else:
            waiting.future.set_result(outcome)
