"""The stdio transport on the event loop itself.

The SDK's `stdio_server` reads and writes through `anyio.wrap_file`: every line read, every
write and every flush is a trip to a worker thread and back, three per request. Measured
here on a two-core machine, a trivial tool call took 3.3 ms round trip that way and 1.7 ms
with the pipes read and written by the event loop, as below. The SDK's framing, parsing and
session code are used unchanged: only the two byte streams differ.

Falls back to the SDK's transport where the event loop cannot watch the descriptors (a
regular file on stdin, Windows).
"""

from __future__ import annotations

import asyncio
import os
import stat
import sys

MAX_LINE = 64 << 20  # one JSON-RPC message; a longer line is dropped, not buffered without end


def usable() -> bool:
    """Whether stdin and stdout are descriptors the event loop can watch."""
    if sys.platform == "win32":
        return False
    try:
        modes = (os.fstat(0).st_mode, os.fstat(1).st_mode)
    except OSError:
        return False
    return all(stat.S_ISFIFO(m) or stat.S_ISSOCK(m) or stat.S_ISCHR(m) for m in modes)


def run(server) -> None:
    """Serve `server` (an MCPServer) over stdin and stdout until stdin closes."""
    lowlevel = getattr(server, "_lowlevel_server", None)  # the SDK keeps the session runner private
    if lowlevel is None or not usable():
        server.run("stdio")
        return
    import anyio

    anyio.run(_serve, lowlevel, backend_options={"use_uvloop": _has_uvloop()})


def _has_uvloop() -> bool:
    """uvloop, where installed (Linux and macOS), handles each message with less work than
    asyncio's own loop: about 6% of a small tool call's round trip."""
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


async def _serve(lowlevel) -> None:
    from mcp.server.stdio import stdio_server

    wire_in, wire_out = _claim_stdio()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=MAX_LINE)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(wire_in, "rb", buffering=0))
    transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin,
                                                        os.fdopen(wire_out, "wb", buffering=0))
    writer = asyncio.StreamWriter(transport, protocol, None, loop)
    async with stdio_server(stdin=_Lines(reader), stdout=_Output(writer)) as (read_stream, write_stream):
        await lowlevel.run(read_stream, write_stream, lowlevel.create_initialization_options())


def _claim_stdio() -> tuple[int, int]:
    """Private copies of the wire; fd 0 then reads nothing and fd 1 goes to stderr, so that
    nothing else in the process (a library's print, a child process) can corrupt the stream."""
    wire_in, wire_out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    return wire_in, wire_out


class _Lines:
    """Lines of text from the wire, as `stdio_server` iterates them."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader

    def __aiter__(self) -> _Lines:
        return self

    async def __anext__(self) -> str:
        try:
            line = await self._reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:  # the end of the stream
            if not exc.partial:
                raise StopAsyncIteration from None
            line = exc.partial
        except asyncio.LimitOverrunError as exc:  # drop it; the session reports it as invalid
            await self._drop_line(exc.consumed)
            return f"(a message over {MAX_LINE} bytes was dropped)\n"
        return line.decode("utf-8", errors="replace")

    async def _drop_line(self, consumed: int) -> None:
        try:
            while True:
                await self._reader.readexactly(consumed)
                try:
                    await self._reader.readuntil(b"\n")
                    return
                except asyncio.LimitOverrunError as exc:
                    consumed = exc.consumed
        except asyncio.IncompleteReadError:
            return


class _Output:
    """The wire for `stdio_server`'s writer: write buffers, flush waits for the pipe."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer

    async def write(self, text: str) -> None:
        self._writer.write(text.encode("utf-8"))

    async def flush(self) -> None:
        await self._writer.drain()
