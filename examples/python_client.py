"""Print live telemetry from `actelemetry stream` (any WebSocket client would do).

    actelemetry stream --source sim          # or the game: actelemetry stream
    python examples/python_client.py --rate 5 --channels speed_kmh,gear,rpm,gas,brake
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from actelemetry.bridge.client import open_stream


async def main(url: str, channels: list[str] | None, rate: float | None,
               token: str | None) -> None:
    client = await open_stream(url, channels=channels, rate=rate, token=token)
    session = client.hello["session"]
    print(f"protocol {client.hello['protocol']}, {len(client.hello['channels'])} channels, "
          f"session: {session and (session['car'], session['track'])}")
    async for msg in client.messages():
        if msg["type"] == "frame":
            values = "  ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}"
                               for k, v in list(msg["data"].items())[:8])
            print(f"#{msg['seq']:<6} {values}")
        elif msg["type"] == "event":
            print(f"-- {msg['event']}: "
                  + ", ".join(f"{k}={v}" for k, v in msg.items() if k not in ("type", "event",
                                                                              "points")))
        elif msg["type"] == "dropped":
            print(f"-- too slow: {msg['count']} frames dropped")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="ws://127.0.0.1:8765/")
    ap.add_argument("--channels", help="comma-separated channel names (default: all)")
    ap.add_argument("--rate", type=float, help="frames per second (default: the server's)")
    ap.add_argument("--token")
    args = ap.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(args.url, args.channels.split(",") if args.channels else None,
                         args.rate, args.token))
