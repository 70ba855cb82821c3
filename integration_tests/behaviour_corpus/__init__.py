"""The behaviour corpus: fixed runs of the connector against the sandbox, recorded once, compared
byte for byte on every later version (see scenarios.py for the runs, runner.py for how a run is
made and normalized, expected/ for what 0.4.0 printed and asked).

`scripts/behaviour_corpus.py record` writes expected/, `compare` (and
integration_tests/test_behaviour_corpus.py) checks the current code against it.
"""
