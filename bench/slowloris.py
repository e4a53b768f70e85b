"""Slowloris against a real ``personagen serve`` limited to few descriptors.

    python -m bench.slowloris                      # 300 connections, ulimit -n 256, 10 s
    python -m bench.slowloris --request-timeout 0  # the same without the deadline

Opens the slow connections (each sends a request line, then a header line every half second),
then tries a real authenticated request every half second for ``--duration`` seconds. Prints
how many slow connections the server closed and when the first real request succeeded.
"""

from __future__ import annotations

import argparse
import http.client
import socket
import sys
import tempfile
import time
from pathlib import Path

from tests.server_process import ServerProcess, create_user


class FewDescriptors(ServerProcess):
    """The server under ``ulimit -n``."""

    descriptors = 256

    def command(self) -> list[str]:
        return [
            "sh",
            "-c",
            f"ulimit -n {self.descriptors} && exec {sys.executable} -m server serve",
        ]


def open_slow(port: int, count: int) -> list[socket.socket]:
    opened = []
    for _ in range(count):
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            opened.append(sock)
        except OSError:
            continue
    return opened


def real_request(port: int, token: str) -> str:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", "/api/me", headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        response.read()
        connection.close()
        return str(response.status)
    except (OSError, http.client.HTTPException) as exc:
        return type(exc).__name__


def closed_by_server(sock: socket.socket) -> bool:
    sock.settimeout(0.01)
    try:
        return sock.recv(16) == b""
    except TimeoutError:
        return False
    except OSError:
        return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=300)
    parser.add_argument("--descriptors", type=int, default=256)
    parser.add_argument("--request-timeout", default="10")
    parser.add_argument("--duration", type=float, default=30.0)
    args = parser.parse_args(argv)
    FewDescriptors.descriptors = args.descriptors
    with tempfile.TemporaryDirectory() as folder:
        profiles = Path(folder) / "profiles"
        profiles.mkdir()
        token = create_user(profiles, "alice")
        env = {"PERSONAGEN_REQUEST_TIMEOUT": args.request_timeout}
        with FewDescriptors(profiles, env=env) as server:
            slow = open_slow(server.port, args.connections)
            started = time.monotonic()
            first_ok: float | None = None
            outcomes: set[str] = set()
            while time.monotonic() - started < args.duration:
                outcome = real_request(server.port, token)
                outcomes.add(outcome)
                if outcome == "200" and first_ok is None:
                    first_ok = time.monotonic() - started
                for sock in slow:
                    try:
                        sock.sendall(b"X-Slow: y\r\n")
                    except OSError:
                        continue
                time.sleep(0.5)
            closed = sum(closed_by_server(sock) for sock in slow)
            for sock in slow:
                sock.close()
    print(
        f"command: python -m bench.slowloris --connections {args.connections} --descriptors "
        f"{args.descriptors} --request-timeout {args.request_timeout} --duration {args.duration:g}"
    )
    print(f"slow connections opened: {len(slow)}, closed by the server: {closed}")
    first = "never" if first_ok is None else f"after {first_ok:.1f} s"
    print(f"first real request answered 200: {first}; outcomes seen: {sorted(outcomes)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
