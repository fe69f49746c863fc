"""A TCP proxy on loopback in front of the test's PostgreSQL (or a fake Bot API), to play an outage without touching the
server others use: ``down()`` stops listening (new connections are refused) and cuts every connection
through it (the backends see their client go, as after a network cut or pg_terminate_backend);
``up()`` listens again on the same port."""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy.engine import make_url


class TcpProxy:
    """Forwards 127.0.0.1:``port`` to ``target_host``:``target_port`` while up."""

    def __init__(self, target_host: str, target_port: int):
        self.target_host, self.target_port = target_host, target_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()
        self._pumps: set[asyncio.Task] = set()

    async def up(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._links):
            with contextlib.suppress(Exception):
                writer.transport.abort()
        self._links.clear()

    async def close(self) -> None:
        await self.down()
        for task in list(self._pumps):
            task.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            client_writer.transport.abort()
            return
        self._links |= {client_writer, server_writer}
        for source, sink in ((client_reader, server_writer), (server_reader, client_writer)):
            task = asyncio.create_task(self._pump(source, sink))
            self._pumps.add(task)
            task.add_done_callback(self._pumps.discard)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            self._links.discard(sink)
            with contextlib.suppress(Exception):
                sink.transport.abort()


class PgProxy(TcpProxy):
    def __init__(self, url: str):
        parsed = make_url(url)
        super().__init__(parsed.host or "127.0.0.1", parsed.port or 5432)
        self._url = parsed

    @property
    def url(self) -> str:
        """The database URL through the proxy."""
        return self._url.set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)
