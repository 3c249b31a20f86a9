"""Loopback port helpers."""

from __future__ import annotations

import contextlib
import ipaddress
import socket

LOOPBACK = "127.0.0.1"


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` (a name or an IP literal) can only mean this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that is free on ``host`` right now (the kernel's choice of ephemeral port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def free_ports(count: int, host: str = LOOPBACK) -> list[int]:
    """``count`` distinct free ports, all held open together while choosing so none repeats."""
    if count < 1:
        raise ValueError("count must be at least 1")
    with contextlib.ExitStack() as stack:
        ports: list[int] = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind((host, 0))
            ports.append(sock.getsockname()[1])
        return ports


def free_port_run(length: int, host: str = LOOPBACK, attempts: int = 50) -> int:
    """The first of ``length`` consecutive ports that are all free on ``host`` right now."""
    for _ in range(attempts):
        base = free_port(host)
        if base + length > 65536:
            continue
        with contextlib.ExitStack() as stack:
            try:
                for port in range(base, base + length):
                    sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
                    sock.bind((host, port))
            except OSError:
                continue
            return base
    raise OSError(f"found no {length} consecutive free ports")


def port_in_use(port: int, host: str = LOOPBACK, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def validate_port(port: int) -> int:
    """Return ``port`` if it is a usable TCP port number, else raise ``ValueError``."""
    if not 1 <= port <= 65535:
        raise ValueError(f"port {port} is outside 1..65535")
    return port
