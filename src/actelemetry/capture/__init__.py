"""The capture: a pure packet gate, the I/O loop around it, pacing, sinks and summaries."""
