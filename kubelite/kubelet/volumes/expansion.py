"""`$(VAR)` references, as Kubernetes expands them in env values, command, args and a
volume mount's subPathExpr: a defined name is replaced, an undefined one left as written,
and `$$` stands for a literal `$`."""

from __future__ import annotations

import re

from kubelite.kubelet.volumes.errors import VolumeError

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


def expand_sub_path(expr: str, env: dict[str, str]) -> str:
    """A subPathExpr expanded; every variable it names must be set and not empty, and the
    result must be a relative path without `..` (else VolumeError, Kubernetes' words: the
    container fails with CreateContainerConfigError)."""
    missing = sorted(
        {m.group(1) for m in _REF.finditer(expr) if m.group(1) is not None and not env.get(m.group(1))}
    )
    if missing:
        raise VolumeError(f"missing value for {', '.join(missing)}")
    return expand(expr, env)


def check_sub_path(sub_path: str) -> None:
    if sub_path.startswith("/"):
        raise VolumeError(f"error SubPath `{sub_path}` must not be an absolute path")
    if ".." in sub_path.split("/"):
        raise VolumeError("must not contain '..'")
