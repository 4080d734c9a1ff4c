"""The core and its tests stay pure Python: no Django, no API layer."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("django", "ninja", "api", "mesoclinic")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize(
    "path",
    sorted([*(ROOT / "core").rglob("*.py"), *(ROOT / "tests" / "core").rglob("*.py")]),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_it_imports_no_web_framework(path: Path) -> None:
    bad = {m for m in imported_modules(path) if m.split(".")[0] in FORBIDDEN}
    assert bad == set()
