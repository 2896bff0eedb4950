"""Overload is logged at most once a minute: a flood of connections must not become a
flood of log lines (asyncio's own 'out of system resource' and the server's cuts alike)."""

from __future__ import annotations

import logging
import time

#: how often an overload (refused handshakes, no file descriptors) is logged at most
OVERLOAD_LOG_EVERY_S = 60.0


class OverloadLog(logging.Filter):
    """Lets an overload through once a minute, not per connection (as a logging filter:
    asyncio's 'out of system resource')."""

    def __init__(self) -> None:
        super().__init__()
        self.last = -OVERLOAD_LOG_EVERY_S

    def due(self, now: float) -> bool:
        """Whether an overload at ``now`` (monotonic seconds) is logged."""
        if now - self.last < OVERLOAD_LOG_EVERY_S:
            return False
        self.last = now
        return True

    def filter(self, record: logging.LogRecord) -> bool:
        return "out of system resource" not in record.getMessage() or self.due(time.monotonic())


OVERLOAD_FILTER = OverloadLog()
logging.getLogger("asyncio").addFilter(OVERLOAD_FILTER)
