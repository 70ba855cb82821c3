"""The behaviour corpus: every scenario of integration_tests/behaviour_corpus/scenarios.py run
against the sandbox and compared with what version 0.4.0 printed and asked (expected/).

A difference is a change a user or the API would notice: a record, a state, a message, an exit
code or a request. When a change is meant to alter them, record again on purpose
(`.venv/bin/python scripts/behaviour_corpus.py record --only NAME`) and name the scenarios in
the commit message.
"""

from __future__ import annotations

import pytest

from integration_tests.behaviour_corpus import runner
from integration_tests.behaviour_corpus.scenarios import SCENARIOS, Scenario

pytestmark = pytest.mark.usefixtures("loopback_only")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[scenario.name for scenario in SCENARIOS])
def test_scenario_prints_and_asks_what_was_recorded(scenario: Scenario) -> None:
    assert runner.expected_path(scenario).exists(), (
        f"no expected/{scenario.name}.txt: record it with "
        f"`.venv/bin/python scripts/behaviour_corpus.py record --only {scenario.name}`"
    )

    diff = runner.difference(scenario, runner.rendered(scenario))

    if diff:
        pytest.fail(
            f"{scenario.name} ({scenario.about}) no longer prints or asks what was recorded:\n"
            f"{diff}",
            pytrace=False,
        )


def test_every_expected_file_belongs_to_a_scenario() -> None:
    """A renamed or removed scenario leaves no stale file that nothing compares."""
    names = {scenario.name for scenario in SCENARIOS}
    stale = sorted(p.name for p in runner.EXPECTED_DIR.glob("*.txt") if p.stem not in names)
    assert not stale, f"expected/ files of no scenario: {stale}"
