"""Checking a ``--where`` filter before it reaches DuckDB.

The filter is tokenised; every word must be a known channel, a keyword or a function from
short allow-lists; numbers and quoted strings become ``?`` parameters. The SQL text that
reaches DuckDB is rebuilt from the tokens, so it only ever holds catalogue names, operators
and allow-listed words, never the user's literal text. Finally DuckDB is asked for the
expression's type, which must be BOOLEAN: one boolean expression, nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from actelemetry.channels.catalogue import BY_NAME
from actelemetry.errors import UsageError

KEYWORDS = {"and", "or", "not", "is", "null", "true", "false", "between", "in", "like"}
FUNCTIONS = {"abs", "round", "floor", "ceil", "sqrt", "least", "greatest", "coalesce"}
OPERATORS = ("<=", ">=", "<>", "!=", "==", "=", "<", ">", "+", "-", "*", "/", "%", "(", ")",
             ",")
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<string>'(?:[^']|'')*')
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><=|>=|<>|!=|==|[=<>+\-*/%(),])
""", re.VERBOSE)


@dataclass(frozen=True)
class Filter:
    """A checked filter: SQL made of allowed tokens, and its literal values as parameters."""

    sql: str
    params: tuple[object, ...]


def parse_where(text: str, channels: Iterable[str]) -> Filter:
    """Tokenise and check ``text``; unknown words and stray characters are refused."""
    known = set(channels)
    out: list[str] = []
    params: list[object] = []
    depth = 0
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise UsageError(f"--where: unexpected {text[pos:pos + 10]!r} at character "
                             f"{pos + 1}")
        pos = m.end()
        kind, value = m.lastgroup, m.group()
        if kind == "space":
            continue
        if kind == "number":
            out.append("?")
            params.append(float(value) if any(c in value for c in ".eE") else int(value))
        elif kind == "string":
            out.append("?")
            params.append(value[1:-1].replace("''", "'"))
        elif kind == "word":
            low = value.lower()
            nxt = text[pos:].lstrip()[:1]
            if low in KEYWORDS:
                out.append(low.upper())
            elif low in FUNCTIONS and nxt == "(":
                out.append(low)
            elif value in known:
                out.append(f'"{value}"')
            elif value in BY_NAME:  # a channel, but not one these files carry
                raise UsageError(f"--where: the file has no channel {value!r}")
            else:
                raise UsageError(f"--where: unknown channel {value!r} "
                                 "(see `actelemetry channels`)")
        else:
            if value == "(":
                depth += 1
            elif value == ")":
                depth -= 1
                if depth < 0:
                    raise UsageError("--where: unbalanced parentheses")
            out.append("=" if value == "==" else "<>" if value == "!=" else value)
    if depth != 0:
        raise UsageError("--where: unbalanced parentheses")
    if not out:
        raise UsageError("--where: empty filter")
    return Filter(" ".join(out), tuple(params))
