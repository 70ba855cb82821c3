"""Install the lock into the virtual environment whose Python runs this: `make install`.

Why uv: on a 2-core machine pip took about 165 s for requirements-dev.txt, uv about 40 s with the
bytecode (`make install`: about 1 minute instead of 3). uv is itself in the lock (PyAirbyte
depends on it), so pip installs it first from its own block of requirements-dev.txt (pinned,
hash-checked), and uv then installs the rest.

No bytecode is compiled at install: compiling the whole lock cost about 47 s of CPU (68 s of
user time against 21 s without), most of it for modules nothing here imports; Python compiles
a module the first time it is imported and keeps the result, so only the first run that
imports it pays, once.

uv does not read pip's configuration, and installs must follow this machine's: pip's effective
options (its config files and PIP_* variables, read as pip reads them) become uv's flags and
environment, so the project names no index. Where the lock has no uv for this Python (3.13), or
uv fails, the same install runs with pip (which compiles as it installs).

    python scripts/install_locked.py deps      every package of requirements-dev.txt
    python scripts/install_locked.py project   the connector itself, editable, no dependencies

INSTALL_WITHOUT_UV=1 takes the pip path (to try it).
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from optparse import Values
from pathlib import Path

from pip._internal.commands import create_command
from pip._internal.commands.install import InstallCommand
from pip._internal.req.req_file import parse_requirements
from pip._internal.utils.misc import redact_auth_from_url
from pip._vendor.packaging.requirements import InvalidRequirement, Requirement
from pip._vendor.packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements-dev.txt"
PYTHON = sys.executable
UV = Path(PYTHON).with_name("uv")
PIP_INSTALL = [PYTHON, "-m", "pip", "install", "--progress-bar", "off"]
FORCE_PIP = "INSTALL_WITHOUT_UV"
# pip's line for each requirement of the lock whose marker excludes this Python or platform
# (the lock holds every Python's: hundreds of them).
MARKERS_DONT_MATCH = re.compile(r"Ignoring \S+: markers .* don't match your environment")


def pip_options() -> Values:
    """The options `pip install` would use here: its config files and env, as pip reads them."""
    options, _ = create_command("install").parse_args([])
    return options


def requirement_block(text: str, name: str) -> str | None:
    """The lines of one pinned requirement (its hashes included), as the file holds them."""
    lines = text.splitlines(keepends=True)
    for start, line in enumerate(lines):
        if line.startswith(f"{name}=="):
            end = start
            while lines[end].rstrip().endswith("\\"):
                end += 1
            return "".join(lines[start : end + 1])
    return None


def applies(requirement: Requirement) -> bool:
    """Whether a requirement's environment marker holds for the Python running this."""
    return requirement.marker is None or requirement.marker.evaluate()


def marker_holds(block: str) -> bool:
    """Whether the pinned requirement that starts the block is for this Python."""
    return applies(Requirement(block.splitlines()[0].rstrip(" \\")))


def locked_versions() -> dict[str, str]:
    """Name -> pinned version of every requirement in the lock for this Python."""
    versions: dict[str, str] = {}
    for line in REQUIREMENTS.read_text().splitlines():
        if line[:1].isalnum():  # a requirement's first line; hashes and comments are not
            requirement = Requirement(line.rstrip(" \\"))
            if applies(requirement):
                (pin,) = requirement.specifier  # exported pins are `==` only
                versions[canonicalize_name(requirement.name)] = pin.version
    return versions


def constraint_conflicts() -> list[str]:
    """pip's constraints that a locked pin breaks.

    uv's --require-hashes refuses constraints that are not pinned with hashes (a cap such as
    `torch<=2.14`), and with --no-deps a constraint can only reject a pin: so this checks them.
    """
    command = create_command("install")
    assert isinstance(command, InstallCommand)
    options, _ = command.parse_args([])
    versions = locked_versions()
    conflicts = []
    with command.main_context():  # the session (cert, proxy) for constraints given as URLs
        session = command.get_default_session(options)
        for filename in options.constraints:
            for parsed in parse_requirements(filename, session, constraint=True):
                try:
                    constraint = Requirement(parsed.requirement)
                except InvalidRequirement:  # an editable path: nothing to compare
                    continue
                version = versions.get(canonicalize_name(constraint.name))
                if version is None or not applies(constraint):
                    continue
                if not constraint.specifier.contains(version, prereleases=True):
                    conflicts.append(f"{constraint.name}=={version} breaks {parsed.requirement}")
    return conflicts


def shown(command: list[str]) -> str:
    """The command as printed: credentials in URLs are masked."""
    return " ".join(redact_auth_from_url(part) if "://" in part else part for part in command)


def without_marker_noise(lines: Iterable[str]) -> Iterator[str]:
    """The lines of an install, without pip's "Ignoring ...: markers ... don't match your
    environment" (one per requirement for another Python), which are counted in one line at
    the end instead; every other line (errors included) as it came, in order."""
    skipped = 0
    for line in lines:
        if MARKERS_DONT_MATCH.fullmatch(line.rstrip("\r\n")):
            skipped += 1
        else:
            yield line
    if skipped:
        yield f"({skipped} requirements of the lock are for other Pythons or platforms: skipped)\n"


def run(command: list[str], env: dict[str, str] | None = None) -> int:
    """Runs a command after printing it; its exit code, so that a failure can fall back.

    Its output and errors are passed on line by line, as they come, without marker noise.
    """
    print(shown(command), flush=True)
    with subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as process:
        assert process.stdout is not None
        for line in without_marker_noise(process.stdout):
            print(line, end="", flush=True)
    return process.returncode


def install_uv() -> str | None:
    """Puts the locked uv into the virtual environment; why it cannot be used, if so."""
    if os.environ.get(FORCE_PIP):
        return f"{FORCE_PIP} is set"
    block = requirement_block(REQUIREMENTS.read_text(), "uv")
    if block is None:
        return f"{REQUIREMENTS.name} has no uv"
    if not marker_holds(block):
        return f"{REQUIREMENTS.name} has no uv for Python {sys.version.split()[0]}"
    with tempfile.TemporaryDirectory(prefix="uv-") as scratch:
        requirement = Path(scratch) / "uv.txt"
        requirement.write_text(block)
        code = run([*PIP_INSTALL, "--require-hashes", "--no-deps", "-r", str(requirement)])
    if code != 0 or not UV.exists():
        return f"pip could not install uv (exit {code})"
    return None


def uv_present() -> str | None:
    """Whether `deps` left a uv to use; why not, if so."""
    if os.environ.get(FORCE_PIP):
        return f"{FORCE_PIP} is set"
    return None if UV.exists() else "no uv in the virtual environment"


def uv_flags(options: Values, constraints: bool, python: str = PYTHON) -> list[str]:
    """pip's indexes, find-links, constraints and the like, as flags of `uv pip install` into
    the environment of `python`."""
    flags = ["--python", python, "--index-strategy", "unsafe-best-match"]
    if options.no_index:
        flags.append("--no-index")
    else:
        flags += ["--default-index", options.index_url]
        for url in options.extra_index_urls:
            flags += ["--extra-index-url", url]
    for location in options.find_links:
        flags += ["--find-links", location]
    for constraint in options.constraints if constraints else []:
        # pip applies its configured constraints to build environments too.
        flags += ["--constraints", constraint, "--build-constraints", constraint]
    for host in options.trusted_hosts:
        flags += ["--allow-insecure-host", host]
    for package in sorted(options.format_control.no_binary):
        flags += ["--no-binary", package]
    for package in sorted(options.format_control.only_binary):
        flags += ["--only-binary", package]
    if options.keyring_provider == "subprocess":
        flags += ["--keyring-provider", "subprocess"]
    if options.cache_dir is False:  # pip's --no-cache-dir
        flags.append("--no-cache")
    return flags


def uv_environment(options: Values, base: Mapping[str, str] = os.environ) -> dict[str, str]:
    """`base` with pip's certificates, proxy, timeout and retries, as the variables uv reads."""
    env = dict(base)
    if options.cert:
        env["SSL_CERT_DIR" if Path(options.cert).is_dir() else "SSL_CERT_FILE"] = options.cert
    if options.client_cert:
        env["SSL_CLIENT_CERT"] = options.client_cert
    if options.proxy:
        env["HTTPS_PROXY"] = env["HTTP_PROXY"] = options.proxy
    env["UV_HTTP_TIMEOUT"] = str(math.ceil(options.timeout))
    env["UV_HTTP_RETRIES"] = str(options.retries)
    return env


def uv_install(arguments: list[str], constraints: bool) -> str | None:
    """`uv pip install` with pip's configuration; why it failed, if it did."""
    options = pip_options()
    flags = uv_flags(options, constraints)
    code = run([str(UV), "pip", "install", *flags, *arguments], uv_environment(options))
    return None if code == 0 else f"uv pip install failed (exit {code})"


def pip_install(arguments: list[str], why_not: str) -> None:
    """The install as it was before uv, saying why."""
    print(f"==> installing with pip instead: {why_not}", flush=True)
    if run([*PIP_INSTALL, *arguments]) != 0:
        sys.exit(f"make install: pip install {' '.join(arguments)} failed")


def install_dependencies() -> None:
    """Every package of the lock, without compiling its bytecode (see the module)."""
    # The file holds the whole lock, so no resolving (--no-deps); `pip check` proves it complete.
    arguments = ["--require-hashes", "--no-deps", "-r", REQUIREMENTS.name]
    why_not = install_uv()
    if why_not is None and (conflicts := constraint_conflicts()):
        why_not = "pip's constraints reject the lock: " + "; ".join(conflicts)
    if why_not is None:
        why_not = uv_install(arguments, constraints=False)
    if why_not is not None:
        pip_install(arguments, why_not)


def install_project() -> None:
    """The connector itself, editable, with its console script; uv if `deps` left one."""
    arguments = ["--no-deps", "-e", "."]
    why_not = uv_present()
    if why_not is None:
        why_not = uv_install(arguments, constraints=True)
    if why_not is not None:
        pip_install(arguments, why_not)


def main() -> None:
    what = sys.argv[1:]
    if what == ["deps"]:
        install_dependencies()
    elif what == ["project"]:
        install_project()
    else:
        sys.exit("usage: install_locked.py deps|project")


if __name__ == "__main__":
    main()
