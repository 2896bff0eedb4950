"""The live bridge: feed any number of live consumers from the capture loop.

:class:`~actelemetry.bridge.server.BridgeServer` broadcasts frames over WebSocket (and
serves the live web page); :class:`~actelemetry.bridge.sink.BridgeSink` is the capture
sink that feeds it; :mod:`~actelemetry.bridge.jsonl` and :mod:`~actelemetry.bridge.console`
are the ``read`` command's sinks.
"""
