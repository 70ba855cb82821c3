"""The response delay: which responses it holds, how long (fixed or a seeded draw), how it is
set (constructor, control endpoint, command line), and that held responses overlap.

No test here waits for a delay: the sandbox's `sleep` is replaced by one that records what it
was asked to wait, or by one that blocks on events.
"""

from __future__ import annotations

import select
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from polygon_sandbox import Faults, Sandbox
from polygon_sandbox.__main__ import build_parser
from polygon_sandbox.http.latency import Delay

from .helpers import NOW, get

REPO_ROOT = Path(__file__).resolve().parents[2]
PREV = "/v2/aggs/ticker/AAPL/prev"
RANGE = "/v2/aggs/ticker/AAPL/range/1/day/2024-01-02/2024-02-29"


class Recorder:
    """A `sleep` that returns at once and remembers every wait asked of it."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self._lock = threading.Lock()

    def __call__(self, seconds: float) -> None:
        with self._lock:
            self.waits.append(seconds)


def test_fixed_delay_holds_every_api_response_and_no_control_response(
    http: requests.Session,
) -> None:
    sleep = Recorder()
    with Sandbox(now=NOW, delay=0.1, sleep=sleep) as sb:
        assert get(http, sb.url + RANGE).status_code == 200
        assert get(http, sb.url + "/v3/reference/tickers").status_code == 200
        assert get(http, sb.url + PREV, headers={}).status_code == 401
        assert get(http, sb.url + "/v9/nothing").status_code == 404
        http.get(sb.url + "/_sandbox/health")
        http.get(sb.url + "/_sandbox/requests")
        http.get(sb.url + "/_sandbox/control")
        assert sleep.waits == [0.1, 0.1, 0.1, 0.1]
        assert [r.delay for r in sb.requests] == [0.1, 0.1, 0.1, 0.1]


def test_no_delay_by_default(sandbox: Sandbox, http: requests.Session) -> None:
    sleep = Recorder()
    sandbox.sleep = sleep
    get(http, sandbox.url + PREV)
    assert sleep.waits == []
    assert sandbox.requests[0].delay == 0.0


def test_random_delay_is_uniform_in_its_range_and_repeats_for_a_seed(
    http: requests.Session,
) -> None:
    def waits(seed: int) -> list[float]:
        sleep = Recorder()
        with Sandbox(now=NOW, seed=seed, delay=(0.05, 0.5), sleep=sleep) as sb:
            for _ in range(20):
                get(http, sb.url + PREV)
            assert [r.delay for r in sb.requests] == sleep.waits
            sb.set_delay((0.05, 0.5))  # setting it again restarts the draws
            sb.clear_requests()
            for _ in range(20):
                get(http, sb.url + PREV)
            assert [r.delay for r in sb.requests] == sleep.waits[:20]
        return sleep.waits[:20]

    first = waits(seed=7)
    assert all(0.05 <= wait <= 0.5 for wait in first)
    assert len(set(first)) == 20
    assert waits(seed=7) == first
    assert waits(seed=8) != first


def test_slowness_adds_to_the_delay(http: requests.Session) -> None:
    sleep = Recorder()
    faults = Faults(slow_schedule=[2], slow_seconds=3.0)
    with Sandbox(now=NOW, delay=0.25, faults=faults, sleep=sleep) as sb:
        for _ in range(3):
            get(http, sb.url + PREV)
        assert sleep.waits == [0.25, 3.25, 0.25]
        assert [(r.delay, r.fault) for r in sb.requests] == [
            (0.25, None),
            (3.25, "slow"),
            (0.25, None),
        ]


def test_delay_via_the_control_endpoint(sandbox: Sandbox, http: requests.Session) -> None:
    sleep = Recorder()
    sandbox.sleep = sleep
    control = sandbox.url + "/_sandbox/control"
    assert http.post(control, json={"delay": 0.5}).json()["delay"] == 0.5
    get(http, sandbox.url + PREV)
    assert http.post(control, json={"delay": [0.05, 0.2]}).json()["delay"] == [0.05, 0.2]
    get(http, sandbox.url + PREV)
    assert http.post(control, json={"delay": "0.3"}).json()["delay"] == 0.3
    get(http, sandbox.url + PREV)
    assert http.post(control, json={"delay": None}).json()["delay"] == 0.0
    get(http, sandbox.url + PREV)
    assert http.get(control).json()["delay"] == 0.0
    assert sleep.waits[0] == 0.5 and 0.05 <= sleep.waits[1] <= 0.2 and sleep.waits[2] == 0.3
    assert len(sleep.waits) == 3  # nothing held once switched off


@pytest.mark.parametrize(
    ("delay", "message"),
    [
        (-1, "delay must be between 0 and 60 seconds, got -1"),
        (600, "delay must be between 0 and 60 seconds, got 600"),
        ([0.5, 0.05], "delay range 0.5-0.05 has its ends reversed"),
        ([0.1], "a delay range is [low, high] in seconds, got [0.1]"),
        ("fast", "delay must be seconds (0.1) or a range of seconds (0.05-0.5), got 'fast'"),
        (True, "delay must be a number of seconds, got True"),
    ],
)
def test_bad_delays_are_refused_with_the_reason(
    sandbox: Sandbox, http: requests.Session, delay: object, message: str
) -> None:
    response = http.post(sandbox.url + "/_sandbox/control", json={"delay": delay})
    assert (response.status_code, response.json()["error"]) == (400, message)
    assert sandbox.delay == Delay()


def test_delay_on_the_command_line() -> None:
    parser = build_parser()
    assert parser.parse_args(["--delay", "0.1"]).delay == Delay(0.1, 0.1)
    assert parser.parse_args(["--delay", "0.05-0.5"]).delay == Delay(0.05, 0.5)
    assert parser.parse_args([]).delay == Delay()


def test_bad_delay_on_the_command_line_exits_2_with_the_reason() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "polygon_sandbox", "--delay", "0.5-0.1"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "argument --delay: delay range 0.5-0.1 has its ends reversed" in result.stderr


def test_the_command_line_delay_reaches_the_running_sandbox() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "polygon_sandbox", "--port", "0", "--delay", "0.05-0.5"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip().split("=", 1)[1]
        control = requests.get(url + "/_sandbox/control", timeout=5).json()
        assert control["delay"] == [0.05, 0.5]
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=10)
    assert process.returncode == 0, err


def _raw_get(port: int, path: str) -> socket.socket:
    """A connection that has sent one GET and not read anything yet."""
    client = socket.create_connection(("127.0.0.1", port), timeout=30)
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Authorization: Bearer sandbox-unlimited-key\r\nConnection: close\r\n\r\n"
    )
    client.sendall(request.encode())
    return client


def _read_all(client: socket.socket) -> bytes:
    chunks = []
    while chunk := client.recv(65536):
        chunks.append(chunk)
    client.close()
    return b"".join(chunks)


def _has_bytes(client: socket.socket) -> bool:
    """Whether anything (a byte, or the end of the stream) has reached the client, now."""
    readable, _, _ = select.select([client], [], [], 0)
    return bool(readable)


def test_held_responses_overlap_and_send_nothing_before_their_delay_ends() -> None:
    """Two requests are held at once (a barrier both must reach), and while both are held,
    neither client has received a byte: the delay comes before the status line."""
    events: list[str] = []
    clients: list[socket.socket] = []
    # Both requests may be held before the second _raw_get has returned its socket: the check
    # waits for the clients list.
    connected = threading.Event()

    def both_held() -> None:
        events.append("both held")
        assert connected.wait(timeout=30)
        events.extend(f"client {n} has bytes: {_has_bytes(c)}" for n, c in enumerate(clients))

    # A server answering one request at a time would never bring both here: the barrier
    # would break after its timeout and the requests would fail.
    barrier = threading.Barrier(2, action=both_held, timeout=30)

    def held(seconds: float) -> None:
        events.append(f"held {seconds}")
        barrier.wait()

    with Sandbox(now=NOW, delay=0.1, sleep=held) as sb:
        clients.extend([_raw_get(sb.port, PREV), _raw_get(sb.port, RANGE)])
        connected.set()
        answers = [_read_all(client) for client in clients]
        assert [len(sb.requests), sorted(r.delay for r in sb.requests)] == [2, [0.1, 0.1]]
    assert [answer.split(b"\r\n", 1)[0] for answer in answers] == [b"HTTP/1.1 200 OK"] * 2
    assert events == [
        "held 0.1",
        "held 0.1",
        "both held",
        "client 0 has bytes: False",
        "client 1 has bytes: False",
    ]
