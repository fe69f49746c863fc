"""Many rows' statements as one: what the dispatcher's workers ask of the database while a statement is
already on its way is gathered and goes as the next one (group commit).

Each caller waits for the statement that carries its own item, issued after it asked: a mark is written
(committed) before its worker goes on, a read is as fresh as a read of its own. When the database keeps up
with the sends, every statement carries one row, as before; when the sends outrun it (a burst, the
simulated city), the rows that piled up share one round trip instead of one transaction each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Coalesced(Generic[K, V]):
    """``await coalesced(item)``: ``run`` is called with every item asked for while the previous call was
    in flight (in the order asked), and returns what each item gets (missing: None)."""

    def __init__(self, run: Callable[[list[K]], Awaitable[dict[K, V] | None]]):
        self._run = run
        self._pending: list[tuple[K, asyncio.Future[V | None]]] = []
        self._task: asyncio.Task | None = None

    async def __call__(self, item: K) -> V | None:
        future: asyncio.Future[V | None] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._task is None:
            self._task = asyncio.create_task(self._drain())
        # Shielded: a caller cancelled (a dispatcher stopping) does not cancel the statement the others wait for.
        return await asyncio.shield(future)

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    results = await self._run([item for item, _ in batch]) or {}
                except BaseException as exc:  # each waiter gets the error, as its own statement would have
                    for _, future in batch:
                        if future.done():
                            continue
                        if isinstance(exc, Exception):
                            future.set_exception(exc)
                        else:
                            future.cancel()
                    if not isinstance(exc, Exception):
                        raise
                    continue
                for item, future in batch:
                    if not future.done():
                        future.set_result(results.get(item))
        finally:
            self._task = None
            left, self._pending = self._pending, []
            for _, future in left:  # only when the loop itself is going away (cancelled)
                future.cancel()
