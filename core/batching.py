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

    async def submit(self, item: Any, run: Run, *, together: bool = True) -> Any:
        """Run ``item`` and give its outcome: with the others waiting then that have the same ``run`` (when
        every slot is busy), or alone (``together=False``: a long request holds up nobody in its batch)."""
        waiting = _Waiting(item, run, together, asyncio.get_running_loop().create_future())
        self._waiting.append(waiting)
        self._start()
        return await waiting.future

    def _start(self) -> None:
        while len(self._running) < self.slots and self._waiting:
            first = self._waiting.popleft()
            batch = [first]
            while (first.together and self._waiting and len(batch) < self.most and self._waiting[0].together
                   and self._waiting[0].run == first.run):
                batch.append(self._waiting.popleft())
            batch = [w for w in batch if not w.future.cancelled()]  # their requester gave up
            if batch:
                self._running.add(asyncio.create_task(self._run(first.run, batch), name="chibo-batch"))

    async def _run(self, run: Run, batch: list[_Waiting]) -> None:
        try:
            outcomes = await run([w.item for w in batch])
        except BaseException as exc:  # the runner itself failed (cancelled at shutdown): everyone hears it
            outcomes = [exc] * len(batch)
            if not isinstance(exc, Exception):
                _settle(batch, outcomes)
                raise
        finally:
            self._running.discard(asyncio.current_task())
            self._start()
        _settle(batch, outcomes)

    async def stop(self) -> None:
        """Wait for the batches running now (their requests are in a transaction)."""
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)


def _settle(batch: list[_Waiting], outcomes: list[Any]) -> None:
    for waiting, outcome in zip(batch, outcomes, strict=True):
        if waiting.future.done():
            continue
        if isinstance(outcome, BaseException):
            waiting.future.set_exception(outcome)
        else:
            waiting.future.set_result(outcome)
