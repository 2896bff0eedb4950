"""What JSON can spell, as types: a session's metadata and a sample's channels are these."""

from __future__ import annotations

from typing import TypeAlias

#: any JSON value
Json: TypeAlias = "str | int | float | bool | list[Json] | dict[str, Json] | None"
#: a JSON object (a session's metadata, a file header)
JsonObject: TypeAlias = "dict[str, Json]"
