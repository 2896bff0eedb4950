"""The fixed-rate capture loop, its clocks, sinks and summaries."""
