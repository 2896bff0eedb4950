"""A small asyncio client for the bridge: connect, read the hello, iterate messages.

Used by the examples, the tests and the benchmark; any WebSocket client works as well
(the protocol is in ``docs/protocol.md``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection, connect

from actelemetry.bridge.protocol import decode, encode


def stream_url(url: str = "ws://127.0.0.1:8765/", *, token: str | None = None,
               channels: list[str] | None = None, rate: float | None = None,
               encoding: str | None = None) -> str:
    """The WebSocket URL with a subscription (and token) in its query."""
    query: dict[str, str] = {}
    if channels:
        query["channels"] = ",".join(channels)
    if rate:
        query["rate"] = f"{rate:g}"
    if encoding:
        query["encoding"] = encoding
    if token:
        query["token"] = token
    return url + ("?" + urlencode(query) if query else "")


class BridgeClient:
    """One connection; ``hello`` holds the server's first message."""

    def __init__(self, ws: ClientConnection, hello: dict[str, Any]) -> None:
        self.ws = ws
        self.hello = hello

    async def recv(self, timeout: float | None = None) -> dict[str, Any]:
        return decode(await self.ws.recv() if timeout is None else
                      await _wait_for(self.ws.recv(), timeout))

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(encode(message, "json"))

    async def subscribe(self, channels: list[str] | None = None, rate: float | None = None,
                        encoding: str | None = None) -> None:
        """Change the subscription; the server answers ``subscribed`` (or ``error``)."""
        msg: dict[str, Any] = {"type": "subscribe", "channels": channels, "rate": rate}
        if encoding:
            msg["encoding"] = encoding
        await self.send(msg)

    async def messages(self) -> AsyncIterator[dict[str, Any]]:
        async for data in self.ws:
            yield decode(data)

    async def frames(self) -> AsyncIterator[dict[str, Any]]:
        """Only the frames' data (channel name -> value)."""
        async for msg in self.messages():
            if msg["type"] == "frame":
                yield msg["data"]

    async def close(self) -> None:
        await self.ws.close()

    async def __aenter__(self) -> BridgeClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def _wait_for(aw: Any, timeout: float) -> Any:
    import asyncio

    return await asyncio.wait_for(aw, timeout)


async def open_stream(url: str = "ws://127.0.0.1:8765/", *, token: str | None = None,
                      channels: list[str] | None = None, rate: float | None = None,
                      encoding: str | None = None, **connect_kwargs: Any) -> BridgeClient:
    """Connect and read the hello message."""
    ws = await connect(stream_url(url, token=token, channels=channels, rate=rate,
                                  encoding=encoding), max_size=2**22, compression=None,
                       **connect_kwargs)
    hello = decode(await ws.recv())
    return BridgeClient(ws, hello)
