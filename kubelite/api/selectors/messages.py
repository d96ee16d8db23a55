"""Selector errors in Kubernetes' words: Go-quoted values, `Invalid value` lines, aggregates.

Selector parse errors embed field errors verbatim (`<path>: Invalid value: "<value>":
<details>`) and clients show them as they are, so the Go formatting (`%q`, `%#v` of a
[]string, aggregated lists) is reproduced here; the rules themselves (label keys and
values) are `kubelite.api.names`.
"""

from __future__ import annotations


def go_quote(value: str) -> str:
    """Go's `%q` for the ASCII strings that reach these messages."""
    out = ['"']
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def invalid_value(path: str, value: str, details: list[str]) -> str:
    return f"{path}: Invalid value: {go_quote(value)}: {'; '.join(details)}"


def aggregate(messages: list[str]) -> str:
    unique = list(dict.fromkeys(messages))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


def go_strings(values: list[str]) -> str:
    """Go's `%#v` of a []string (a nil slice when empty, as the callers build them)."""
    if not values:
        return "[]string(nil)"
    return "[]string{" + ", ".join(go_quote(v) for v in values) + "}"


def is_int64(text: str) -> bool:
    try:
        n = int(text, 10)
    except ValueError:
        return False
    return text.strip() == text and "_" not in text and -(2**63) <= n < 2**63
