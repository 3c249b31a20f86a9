from __future__ import annotations

import socket

import pytest

from services.common.infra import free_port, free_ports, port_in_use
from services.common.infra.ports import validate_port


def test_free_port_can_be_bound() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_free_ports_are_distinct_and_usable() -> None:
    ports = free_ports(5)
    assert len(set(ports)) == 5
    assert all(1024 <= p <= 65535 for p in ports)


def test_free_ports_needs_a_positive_count() -> None:
    with pytest.raises(ValueError):
        free_ports(0)


def test_port_in_use_sees_a_listener() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert port_in_use(port)
    assert not port_in_use(port)


@pytest.mark.parametrize("port", [0, -1, 65536])
def test_validate_port_rejects_out_of_range(port: int) -> None:
    with pytest.raises(ValueError):
        validate_port(port)
