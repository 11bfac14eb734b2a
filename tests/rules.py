"""The business rules as transform/dbt_project.yml states them, for the tests that depend on them.

The dbt project is the one place a rule is stated (its `vars`); tests read it from there rather than
repeating a number.
"""

from __future__ import annotations

from typing import Any

import yaml

from tests.pipeline import REPO

VARS: dict[str, Any] = yaml.safe_load((REPO / "transform" / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]

FAST_LIKER_MIN_LIKES: int = VARS["fast_liker_min_likes"]
FAST_LIKER_WINDOW_SECONDS: int = VARS["fast_liker_window_seconds"]
TOP_N: int = VARS["top_n"]

# The rules the hand-made streams of tests/e2e were worked out for (their expected files are derived
# by hand in comments beside them): with other rules, those expectations no longer hold.
HAND_WORKED_RULES = {
    "fast_liker_min_likes": 50,
    "fast_liker_window_seconds": 60,
    "top_n": 10,
    "trending_window_minutes": 60,
    "top_words_required_word": "engineering",
    "dedup_window_hours": 24,
    "like_lateness_hours": 24,
}


def rules_differing_from_the_hand_worked_ones() -> dict[str, tuple[Any, Any]]:
    """{rule: (value in dbt_project.yml, value the e2e expectations assume)} for every rule that differs."""
    return {name: (VARS.get(name), value) for name, value in HAND_WORKED_RULES.items() if VARS.get(name) != value}


def hand_worked_rules_skip_reason() -> str | None:
    """Why the tests built on the hand-made streams cannot hold (None when the rules are the hand-worked ones)."""
    differing = rules_differing_from_the_hand_worked_ones()
    if not differing:
        return None
    return "the hand-worked expectations assume other rules: " + ", ".join(
        f"{name} = {assumed} (transform/dbt_project.yml has {actual})" for name, (actual, assumed) in differing.items()
    )
