"""The tooling stays outside the apps: no app imports it, and its demo data is held to
the same rules as anything the app writes."""

import ast
import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from opsmaturity.tooling.demo.writer import Plan, Step, check_path

PACKAGE = Path(__file__).resolve().parents[2] / "opsmaturity"


def imported_modules(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_no_app_imports_the_tooling():
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {module}"
        for path in PACKAGE.rglob("*.py")
        if "tooling" not in path.relative_to(PACKAGE).parts
        for module in imported_modules(path)
        if module.startswith("opsmaturity.tooling")
    ]
    assert offenders == []


def _plan(*steps):
    start = timezone.now() - dt.timedelta(days=100)
    return Plan(
        team_id=1,
        owner_id=1,
        name="Invoice matching",
        purpose="Match every invoice.",
        steps=[Step(phase, start + dt.timedelta(days=days), note) for phase, days, note in steps],
        cost=1000,
        value=2000,
    )


def test_a_demo_history_is_held_to_the_transition_rules():
    check_path(_plan(("launch", 0, "Recorded"), ("standardize", 40, "")))
    with pytest.raises(ValueError, match="needs a note"):
        check_path(_plan(("launch", 0, "Recorded"), ("automate", 40, "")))
    with pytest.raises(ValueError, match="needs a note"):
        check_path(_plan(("launch", 0, "Recorded"), ("retire", 40, "")))
    with pytest.raises(ValueError, match="more recent"):
        check_path(_plan(("launch", 10, "Recorded"), ("standardize", 5, "")))
    with pytest.raises(ValueError, match="in launch first"):
        check_path(_plan(("standardize", 0, "Recorded")))
