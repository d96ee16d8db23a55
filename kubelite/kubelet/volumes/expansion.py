"""`$(VAR)` references, as Kubernetes expands them in env values, command, args and a
volume mount's subPathExpr: a defined name is replaced, an undefined one left as written,
and `$$` stands for a literal `$`."""

from __future__ import annotations

import re

_REF = re.compile(r"\$\$|\$\(([^)]*)\)")


class EnvError(Exception):
    pass


def expand(text: str, env: dict[str, str]) -> str:
    """`$(VAR)` → its value when defined (else left as written); `$$` → `$`."""

    def one(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1)
        return env[name] if name in env else m.group(0)

    return _REF.sub(one, text)
