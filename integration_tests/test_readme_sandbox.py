"""README's sandbox section, run exactly as written (its command lines parsed from README.md, so
they cannot drift), in process against a sandbox: no wait for the pace, and its output files
ignored by git.

The minute is scaled to 6 s on both sides (the connector's pace and the sandbox's window), so a
section that would wait for the pace waits seconds here, and says so in its log.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from integration_tests.connector_process import REPO_ROOT, clock_env, connector_run
from integration_tests.helpers import SATURDAY, scale_the_minute
from integration_tests.in_process import run_in_process
from polygon_sandbox import Sandbox

SECTION = "### The same commands without a key, against the sandbox"
CONSOLE_SCRIPT = ".venv/bin/source-stock-ticker-api"
MINUTE_SECONDS = 6.0


@dataclass
class SandboxSection:
    """What README's sandbox section does: the sandbox's port, the files it writes, the
    connector commands it runs and where their output goes."""

    port: int = 0
    files: dict[str, str] = field(default_factory=dict)
    commands: list[list[str]] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)


def section_lines() -> list[str]:
    """The lines of the section's first bash block, continuation lines joined."""
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    after = text.split(SECTION, 1)[1]
    block = re.search(r"```bash\n(.*?)```", after, re.DOTALL)
    assert block is not None, f"README's {SECTION!r} has no bash block"
    return block.group(1).replace("\\\n", " ").splitlines()


def parse_section(lines: list[str]) -> SandboxSection:
    """Each line of the block understood, or the test fails naming the line."""
    section = SandboxSection()
    heredoc: tuple[str, list[str]] | None = None
    for line in lines:
        if heredoc is not None:
            if line == "EOF":
                section.files[heredoc[0]] = "\n".join(heredoc[1])
                heredoc = None
            else:
                heredoc[1].append(line)
        elif started := re.fullmatch(r"\.venv/bin/python -m polygon_sandbox --port (\d+) &", line):
            section.port = int(started.group(1))
        elif written := re.fullmatch(r"cat > (\S+) <<'EOF'", line):
            heredoc = (written.group(1), [])
        elif line.startswith(CONSOLE_SCRIPT):
            words = shlex.split(line, comments=True)
            if ">" in words:
                section.outputs.append(words[words.index(">") + 1])
                words = words[: words.index(">")]
            section.commands.append(words[1:])
        elif not line.startswith("kill %1"):
            pytest.fail(f"README's sandbox section has a line this test does not know: {line!r}")
    return section


def test_the_readme_sandbox_section_runs_without_waiting_for_the_pace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    section = parse_section(section_lines())
    assert [c[0] for c in section.commands] == ["check", "read"]
    scale_the_minute(monkeypatch, MINUTE_SECONDS)
    readme_url = f"http://127.0.0.1:{section.port}"

    with Sandbox(now=SATURDAY, seed=1, rate_window_seconds=MINUTE_SECONDS) as sandbox:
        paths = {}
        for name, content in section.files.items():
            assert readme_url in content, f"{name} does not point at the sandbox started"
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content.replace(readme_url, sandbox.url), encoding="utf-8")
            paths[name] = str(path)
        runs = []
        for command in section.commands:
            args = [paths.get(word, word) for word in command]
            ran = run_in_process(args, env=clock_env(SATURDAY), cwd=REPO_ROOT)
            runs.append(connector_run(ran.exit_code, ran.stdout, ran.stderr))

    check, read = runs
    assert check.connection_status["status"] == "SUCCEEDED"
    assert read.returncode == 0, read.errors
    config = json.loads(next(iter(section.files.values())))
    prices = {r["stock_ticker"] for r in read.records if "stock_ticker" in r}
    assert prices == set(config["tickers"])
    waits = [line for run in runs for line in run.logs if line.startswith("Waiting")]
    assert waits == [], "README's sandbox commands wait for the pace"


def test_what_the_readme_sandbox_section_writes_is_ignored_by_git() -> None:
    section = parse_section(section_lines())
    assert section.outputs == ["messages.jsonl"]
    for written in [*section.outputs, *section.files]:
        ignored = subprocess.run(
            ["git", "check-ignore", "--quiet", written], cwd=REPO_ROOT, check=False
        )
        assert ignored.returncode == 0, f"README's sandbox section writes {written}: git-ignore it"
