"""The Dockerfile's recipe, proven without a Docker engine.

No Docker engine runs where these tests run, so the image cannot be built. Instead, this module
reads the Dockerfile and replays its build on this machine, step by step:

- `FROM`: each stage gets a directory standing for its file system; the base image's Python
  (`python`, console scripts in /usr/local/bin) is a fresh `python -m venv`, shared by the stages.
- `COPY`: copies from the build context, honouring .dockerignore, or from an earlier stage.
- `RUN`: runs the command with bash in the stage's WORKDIR, the venv first on PATH. What changes
  speed, not outcome, is swapped: `--no-cache-dir` is dropped, and `python -m pip install` runs
  as `uv pip install` (uv is in the lock: `make install` uses it) with pip's configuration,
  the same requirements from the same indexes, no bytecode: a few seconds, where pip took a
  minute to resolve and install the wheel's dependencies here. Where the lock has no uv for
  this Python, pip runs, with `--no-compile`. The wheel is built by pip, as in the image.
- `ENV AIRBYTE_ENTRYPOINT` / `ENTRYPOINT`: the command the platform runs, resolved in the venv.

Then it runs spec, check and read through that command, from the final WORKDIR, against the
sandbox. The package comes only from the wheel the recipe built: nothing of the repository is on
the path. Static checks cover what a replay cannot: the base image and its digest, the context
(.dockerignore keeps secrets/ out), and that the image does not run as root.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shlex
import shutil
import subprocess
import venv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts import install_locked
from source_stock_ticker_api.markets import MARKETS

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
METADATA = yaml.safe_load((ROOT / "metadata.yaml").read_text())["data"]
SANDBOX_CONFIG = ROOT / "integration_tests" / "sandbox_config.json"
CATALOG = ROOT / "integration_tests" / "configured_catalog.json"
NOW = datetime(2026, 11, 23, 21, 30, tzinfo=timezone.utc)
STEP_TIMEOUT_SECONDS = 300
# The replayed build is one module fixture: with pytest-xdist, its tests share one worker.
pytestmark = pytest.mark.xdist_group("image-recipe")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str
    line: int


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined; comments and blank lines dropped."""
    instructions: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        keyword, _, arguments = " ".join(part for part in pending if part).partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip(), start))
        pending = []
    assert not pending, "the Dockerfile ends inside a continued line"
    return instructions


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def excluded_from_context(relative: str, patterns: list[str]) -> bool:
    """Docker's .dockerignore rule: the last pattern matching the path or a parent wins."""
    parts = Path(relative).parts
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        body = posixpath.normpath(pattern.lstrip("!")).lstrip("/")
        regex = _pattern_regex(body)
        if any(regex.match(candidate) for candidate in candidates):
            excluded = not negated
    return excluded


@dataclass
class Stage:
    name: str
    base: str
    root: Path
    workdir: str = "/"
    env: dict[str, str] = field(default_factory=dict)
    entrypoint: list[str] | None = None
    user: str | None = None
    labels: dict[str, str] = field(default_factory=dict)

    def path(self, container_path: str) -> Path:
        """Where `container_path` (absolute, or relative to WORKDIR) lives in this replay."""
        absolute = posixpath.join(self.workdir, container_path)
        return self.root / posixpath.normpath(absolute).lstrip("/")


@dataclass
class Replay:
    stages: list[Stage]
    venv_bin: Path
    log: list[str]

    @property
    def final(self) -> Stage:
        return self.stages[-1]


def _copy_from_context(source: str, destination: Path, patterns: list[str]) -> None:
    path = ROOT / source
    assert path.exists(), f"COPY source {source} is not in the build context"
    assert not excluded_from_context(source, patterns), f".dockerignore excludes {source}"
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        relative = file.relative_to(ROOT).as_posix()
        if excluded_from_context(relative, patterns):
            continue
        target = destination if path.is_file() else destination / file.relative_to(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, target)


def _speed_only(command: str, python: Path, env: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The RUN command and its environment, with what changes speed and not outcome swapped
    (see the module)."""
    command = re.sub(r"\s--no-cache-dir\b", "", command)
    if not install_locked.UV.exists():  # no uv in the lock for this Python: pip, no bytecode
        return re.sub(r"\bpip install\b", "pip install --no-compile", command), env
    options = install_locked.pip_options()
    flags = install_locked.uv_flags(options, constraints=True, python=str(python))
    uv = shlex.join([str(install_locked.UV), "pip", "install", *flags])
    command = re.sub(r"\bpython -m pip install\b", lambda _: uv, command)
    return command, install_locked.uv_environment(options, env)


def replay_dockerfile(workspace: Path) -> Replay:
    instructions = parse_dockerfile(DOCKERFILE.read_text())
    patterns = dockerignore_patterns()
    python = workspace / "python"
    venv.EnvBuilder(with_pip=True, clear=True).create(python)
    venv_bin = python / "bin"
    arguments: dict[str, str] = {}
    stages: list[Stage] = []
    log: list[str] = []
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env["PATH"] = os.pathsep.join([str(venv_bin), "/usr/local/bin", "/usr/bin", "/bin"])

    for step in instructions:
        stage = stages[-1] if stages else None
        if step.keyword == "ARG":
            name, _, default = step.arguments.partition("=")
            arguments[name] = default
        elif step.keyword == "FROM":
            words = step.arguments.split()
            base = re.sub(r"\$\{(\w+)\}", lambda m: arguments[m.group(1)], words[0])
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else str(len(stages))
            stages.append(Stage(name, base, workspace / "stages" / name))
        elif stage is None:
            raise AssertionError(f"line {step.line}: {step.keyword} before FROM")
        elif step.keyword == "WORKDIR":
            stage.workdir = step.arguments
            stage.path(".").mkdir(parents=True, exist_ok=True)
        elif step.keyword == "COPY":
            words = step.arguments.split()
            origin = next((w.split("=", 1)[1] for w in words if w.startswith("--from=")), None)
            *sources, destination = [w for w in words if not w.startswith("--")]
            for source in sources:
                target = stage.path(destination)
                if destination.endswith("/"):
                    target = target / Path(source).name
                if origin is None:
                    _copy_from_context(source, target, patterns)
                else:
                    (built,) = [s for s in stages if s.name == origin]
                    shutil.copytree(built.path(source), target, dirs_exist_ok=True)
        elif step.keyword == "RUN":
            command, run_env = _speed_only(step.arguments, venv_bin / "python", env)
            log.append(f"RUN (line {step.line}) {command}")
            done = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", command],
                cwd=stage.path("."),
                env=run_env,
                capture_output=True,
                text=True,
                timeout=STEP_TIMEOUT_SECONDS,
                check=False,
            )
            assert done.returncode == 0, f"line {step.line} failed:\n{done.stdout}\n{done.stderr}"
        elif step.keyword == "ENV":
            for pair in shlex.split(step.arguments):
                key, _, value = pair.partition("=")
                stage.env[key] = value
        elif step.keyword == "ENTRYPOINT":
            stage.entrypoint = json.loads(step.arguments)
        elif step.keyword == "USER":
            stage.user = step.arguments
        elif step.keyword == "LABEL":
            for pair in shlex.split(step.arguments):
                key, _, value = pair.partition("=")
                stage.labels[key] = value
        else:
            raise AssertionError(f"line {step.line}: no replay for {step.keyword}")
    return Replay(stages, venv_bin, log)


@dataclass
class Run:
    returncode: int
    messages: list[dict[str, Any]]
    stderr: str

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("type") == kind]


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Replay:
    return replay_dockerfile(tmp_path_factory.mktemp("image"))


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Any]:
    from polygon_sandbox import Sandbox

    with Sandbox(now=NOW, port=0, seed=1) as running:
        yield running


@pytest.fixture
def run_entrypoint(replay: Replay, tmp_path: Path) -> Any:
    """Runs `$AIRBYTE_ENTRYPOINT <args>` as the platform would, from the image's WORKDIR."""
    command = shlex.split(replay.final.env["AIRBYTE_ENTRYPOINT"])
    executable = shutil.which(command[0], path=str(replay.venv_bin))
    assert executable, f"{command[0]} is not installed by the recipe"
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env["PATH"] = os.pathsep.join([str(replay.venv_bin), "/usr/bin", "/bin"])
    from integration_tests.connector_process import clock_env

    env.update(clock_env(NOW))

    def run(*args: str, **files: Any) -> Run:
        argv = [executable, *command[1:], *args]
        for name, content in files.items():
            path = tmp_path / f"{name}.json"
            path.write_text(json.dumps(content))
            argv += [f"--{name}", str(path)]
        done = subprocess.run(
            argv,
            cwd=replay.final.path("."),
            env=env,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT_SECONDS,
            check=False,
        )
        messages = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        return Run(done.returncode, messages, done.stderr)

    return run


def assert_key_hidden(run: Any, sandbox: Any, key: str) -> None:
    """The key is in no message, no stderr line and no URL, and travelled only in the header."""
    assert key not in json.dumps(run.messages)
    assert key not in run.stderr
    for request in sandbox.data_requests():
        assert key not in request.url
        assert request.auth == "header"


def sandbox_config(sandbox: Any) -> dict[str, Any]:
    return {**json.loads(SANDBOX_CONFIG.read_text()), "api_url": sandbox.url}


# Static checks: what the replay cannot see.


def test_every_stage_builds_from_the_metadata_base_image() -> None:
    base_image = METADATA["connectorBuildOptions"]["baseImage"]
    instructions = parse_dockerfile(DOCKERFILE.read_text())
    (argument,) = [i.arguments for i in instructions if i.keyword == "ARG"]
    assert argument == f"BASE_IMAGE={base_image}"
    froms = [i.arguments.split()[0] for i in instructions if i.keyword == "FROM"]
    assert froms and all(f == "${BASE_IMAGE}" for f in froms)


def test_entrypoints_agree_and_the_image_does_not_run_as_root() -> None:
    instructions = parse_dockerfile(DOCKERFILE.read_text())
    final = instructions[max(i for i, s in enumerate(instructions) if s.keyword == "FROM") :]
    env = dict(
        pair.partition("=")[::2]
        for step in final
        if step.keyword == "ENV"
        for pair in shlex.split(step.arguments)
    )
    (entrypoint,) = [json.loads(s.arguments) for s in final if s.keyword == "ENTRYPOINT"]
    assert shlex.split(env["AIRBYTE_ENTRYPOINT"]) == entrypoint
    users = [s.arguments for s in final if s.keyword == "USER"]
    assert users and users[-1] not in {"root", "0"}
    assert final[-1].keyword == "USER", "USER comes last, after every install step"


def test_build_context_keeps_secrets_and_local_state_out() -> None:
    patterns = dockerignore_patterns()
    for path in ("secrets/config.json", ".venv/bin/python", ".git/HEAD", "unit_tests/x.py"):
        assert excluded_from_context(path, patterns), path
    for path in ("pyproject.toml", "README.md", "source_stock_ticker_api/spec.yaml"):
        assert not excluded_from_context(path, patterns), path
    assert excluded_from_context("source_stock_ticker_api/__pycache__/run.pyc", patterns)


# The replayed build.


def test_recipe_builds_the_wheel_and_installs_only_it(replay: Replay) -> None:
    version = METADATA["dockerImageTag"]
    (builder,) = [stage for stage in replay.stages if stage.name == "builder"]
    wheels = sorted(p.name for p in builder.root.rglob("*.whl"))
    assert wheels == [f"source_stock_ticker_api-{version}-py3-none-any.whl"]
    assert not list(replay.final.path(".").iterdir()), "the runtime WORKDIR keeps no build files"
    probe = subprocess.run(
        [
            str(replay.venv_bin / "python"),
            "-c",
            "import importlib.metadata as m, source_stock_ticker_api as p;"
            "print(m.version('source-stock-ticker-api')); print(p.__file__)",
        ],
        cwd=replay.final.path("."),
        capture_output=True,
        text=True,
        check=True,
    )
    installed_version, location = probe.stdout.split()
    assert installed_version == version
    assert Path(location).is_relative_to(replay.venv_bin.parent), location
    assert replay.final.labels["io.airbyte.version"] == version


def test_image_entrypoint_speaks_spec(run_entrypoint: Any) -> None:
    run = run_entrypoint("spec")
    assert run.returncode == 0, run.stderr
    (spec,) = run.of_type("SPEC")
    expected = yaml.safe_load((ROOT / "source_stock_ticker_api" / "spec.yaml").read_text())
    assert spec["spec"]["connectionSpecification"] == expected["connectionSpecification"]


def test_image_entrypoint_checks_against_the_sandbox(run_entrypoint: Any, sandbox: Any) -> None:
    good = run_entrypoint("check", config=sandbox_config(sandbox))
    assert good.returncode == 0, good.stderr
    assert good.of_type("CONNECTION_STATUS")[0]["connectionStatus"]["status"] == "SUCCEEDED"
    bad = run_entrypoint("check", config={**sandbox_config(sandbox), "api_key": "unknown-key"})
    status = bad.of_type("CONNECTION_STATUS")[0]["connectionStatus"]
    assert status["status"] == "FAILED" and "API key" in status["message"]
    assert_key_hidden(good, sandbox, sandbox_config(sandbox)["api_key"])
    assert_key_hidden(bad, sandbox, "unknown-key")


def test_image_entrypoint_reads_from_the_sandbox(run_entrypoint: Any, sandbox: Any) -> None:
    config = sandbox_config(sandbox)
    catalog = json.loads(CATALOG.read_text())
    # The price streams alone: what this test checks of the image is its entrypoint and its bars.
    prices = {market.stream_name for market in MARKETS}
    catalog["streams"] = [s for s in catalog["streams"] if s["stream"]["name"] in prices]
    run = run_entrypoint("read", config=config, catalog=catalog)
    assert run.returncode == 0, run.stderr
    records = [m["record"]["data"] for m in run.of_type("RECORD")]
    for ticker in config["tickers"]:
        bars = sandbox.expected_bars(
            ticker, 1, config["timespan"], config["start_date"], config["end_date"]
        )
        # stock_prices says `stock_ticker`; the other markets' streams say `ticker`.
        read = [r for r in records if r.get("stock_ticker", r.get("ticker")) == ticker]
        assert [r["close"] for r in read] == [bar["c"] for bar in bars] and bars, ticker
    states = {
        m["state"]["stream"]["stream_descriptor"]["name"]: m["state"]["stream"]["stream_state"]
        for m in run.of_type("STATE")
    }
    assert all("bar_settings" in state for state in states.values())
    cursors = [ticker for state in states.values() for ticker in state if ticker != "bar_settings"]
    assert sorted(cursors) == sorted(config["tickers"])
    assert_key_hidden(run, sandbox, config["api_key"])
