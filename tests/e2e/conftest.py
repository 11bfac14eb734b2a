"""The hand-made streams' expectations hold for the rules they were worked out for (tests/rules.py)."""

from __future__ import annotations

import pytest

from tests.rules import hand_worked_rules_skip_reason


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    reason = hand_worked_rules_skip_reason()
    if reason is None:
        return
    for item in items:
        if item.nodeid.startswith("tests/e2e/"):
            item.add_marker(pytest.mark.skip(reason=reason))
