"""docs/architecture.md's module map names every package and module under kubelite/, and
nothing that is gone: a new module without its line in the map fails here.

The map has one `### kubelite/<package>/` section per package; each section's table names, in
backticks, the package's modules (`name.py`) and sub-packages (`name/`).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAP = ROOT / "docs" / "architecture.md"


def _sections() -> dict[str, set[str]]:
    """package path (e.g. "kubelite/api/") -> the names its section lists."""
    text = MAP.read_text().split("\n## Module map\n", 1)[1].split("\n## ", 1)[0]
    sections: dict[str, set[str]] = {}
    for block in re.split(r"^### ", text, flags=re.M)[1:]:
        heading, _, body = block.partition("\n")
        sections[heading.strip()] = set(re.findall(r"^\| `([^`]+)`", body, flags=re.M))
    return sections


def _packages() -> dict[str, set[str]]:
    """package path -> its modules and sub-packages, as found on disk."""
    found: dict[str, set[str]] = {}
    for init in sorted((ROOT / "kubelite").rglob("__init__.py")):
        pkg = init.parent
        entries = {p.name for p in pkg.glob("*.py") if p.name != "__init__.py"}
        entries |= {p.name + "/" for p in pkg.iterdir() if (p / "__init__.py").is_file()}
        found[str(pkg.relative_to(ROOT)) + "/"] = entries
    return found


def test_every_package_has_a_section_and_every_section_a_package():
    assert sorted(_sections()) == sorted(_packages())


def test_every_module_and_subpackage_is_listed_in_its_package_section():
    sections = _sections()
    missing = {pkg: sorted(names - sections.get(pkg, set())) for pkg, names in _packages().items()}
    assert {pkg: names for pkg, names in missing.items() if names} == {}


def test_the_map_lists_nothing_that_does_not_exist():
    packages = _packages()
    stale = {pkg: sorted(names - packages.get(pkg, set())) for pkg, names in _sections().items()}
    assert {pkg: names for pkg, names in stale.items() if names} == {}
