"""Project scripts, run as files (`python scripts/<name>.py`); a package so tests import them."""
