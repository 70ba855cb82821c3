"""`make install`'s output: pip's hundreds of "Ignoring ...: markers don't match" lines become one
count; every other line, errors included, is shown as it came (scripts/install_locked.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "install_locked.py"


def install_locked() -> ModuleType:
    spec = importlib.util.spec_from_file_location("install_locked", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# As pip 24 prints them for requirements-dev.txt on Linux.
NOISE = [
    "Ignoring colorama: markers 'sys_platform == \"win32\"' don't match your environment\n",
    "Ignoring exceptiongroup: markers 'python_version < \"3.11\"' don't match your environment\n",
    'Ignoring pywin32: markers \'python_version >= "3.10" and python_version < "3.14" and '
    "sys_platform == \"win32\"' don't match your environment\n",
]


def test_marker_lines_are_counted_once_and_every_other_line_stays_in_order() -> None:
    lines = [
        "Collecting airbyte-cdk==7.39.0\n",
        NOISE[0],
        "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE.\n",
        NOISE[1],
        NOISE[2],
        "Successfully installed airbyte-cdk-7.39.0\n",
    ]

    shown = list(install_locked().without_marker_noise(lines))

    assert shown == [
        "Collecting airbyte-cdk==7.39.0\n",
        "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE.\n",
        "Successfully installed airbyte-cdk-7.39.0\n",
        "(3 requirements of the lock are for other Pythons or platforms: skipped)\n",
    ]


def test_an_install_without_marker_lines_says_nothing_more() -> None:
    lines = ["Ignoring this is not pip's marker line\n", "done\n"]
    assert list(install_locked().without_marker_noise(lines)) == lines


def test_run_shows_errors_and_output_without_marker_noise_and_returns_the_exit_code(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    program = (
        "import sys\n"
        f"sys.stdout.write({''.join(NOISE)!r})\n"
        "sys.stdout.write('Collecting uv\\n'); sys.stdout.flush()\n"
        "sys.stderr.write('ERROR: No matching distribution found for uv\\n')\n"
        "sys.exit(3)\n"
    )
    script = tmp_path / "pip_like.py"
    script.write_text(program)

    code = install_locked().run([sys.executable, str(script)])

    assert code == 3
    assert capsys.readouterr().out.splitlines() == [
        f"{sys.executable} {script}",
        "Collecting uv",
        "ERROR: No matching distribution found for uv",
        "(3 requirements of the lock are for other Pythons or platforms: skipped)",
    ]
