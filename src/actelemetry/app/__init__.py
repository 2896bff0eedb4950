"""Composition: the library's layers wired together for the commands (a capture feeding
live prediction, the demo's whole pipeline). Nothing below ``app`` imports it."""
