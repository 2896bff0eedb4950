"""actelemetry: capture, analyse, learn from and stream Assetto Corsa / ACC telemetry."""

__version__ = "0.1.0"
