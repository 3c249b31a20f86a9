from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from services.common.infra import InfraError, RedisServerSettings, redis_server
from services.common.testing import unique_resource_name


def test_redis_argv_is_loopback_and_not_persistent(tmp_path: Path) -> None:
    argv = redis_server.redis_argv("/x/redis-server", RedisServerSettings(port=16379), tmp_path)
    options = dict(zip(argv[1::2], argv[2::2], strict=True))
    assert argv[0] == "/x/redis-server"
    assert options == {
        "--port": "16379",
        "--bind": "127.0.0.1",
        "--save": "",
        "--appendonly": "no",
        "--daemonize": "no",
        "--dir": str(tmp_path),
    }


def test_a_persistent_redis_keeps_an_append_only_file(tmp_path: Path) -> None:
    settings = RedisServerSettings(port=16379, persistent=True)
    argv = redis_server.redis_argv("/x/redis-server", settings, tmp_path)
    options = dict(zip(argv[1::2], argv[2::2], strict=True))
    assert options["--appendonly"] == "yes"
    assert options["--appendfsync"] == "everysec"
    assert options["--dir"] == str(tmp_path)


def test_redis_url() -> None:
    assert RedisServerSettings(port=16379).url == "redis://127.0.0.1:16379/0"
    with pytest.raises(ValueError):
        RedisServerSettings(port=0)


def test_missing_redis_server_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda _: None)
    with pytest.raises(InfraError, match=r"apt-get install redis-server.*REDIS_URL"):
        redis_server.find_redis_server()


def test_unique_names_are_kafka_legal_and_distinct() -> None:
    names = {unique_resource_name("Loan_Apps", "test_round_trip[param.1]") for _ in range(100)}
    assert len(names) == 100
    for name in names:
        assert re.fullmatch(r"loan-apps-test-round-trip-param-1-[0-9a-f]{8}", name), name


def test_unique_names_cut_long_contexts() -> None:
    name = unique_resource_name("t", "x" * 500)
    assert len(name) <= 2 + 40 + 1 + 8
    assert unique_resource_name("", "")  # never empty
