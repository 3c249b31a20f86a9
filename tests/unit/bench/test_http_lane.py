"""The load generator's HTTP/1.1 lane: request framing and what counts as an answer."""

from __future__ import annotations

import asyncio

import pytest
import uvloop

from services.common.bench.http_lane import HttpLane, LaneError, parse_head, request_head
from tests.unit.bench.http_peer import HttpPeer, http_peer, json_answer


def test_request_head_carries_host_headers_and_body_length() -> None:
    head = request_head("POST", "/v1/x", "127.0.0.1:80", {"X-API-Key": "k"}, 12)
    assert head == (
        b"POST /v1/x HTTP/1.1\r\nHost: 127.0.0.1:80\r\nX-API-Key: k\r\nContent-Length: 12\r\n\r\n"
    )
    assert b"Content-Length" not in request_head("GET", "/", "h", {}, None)


def test_parse_head_reads_status_length_and_close() -> None:
    assert parse_head(b"HTTP/1.1 202 Accepted\r\ncontent-length: 57") == (202, 57, False)
    assert parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close") == (
        200,
        0,
        True,
    )
    assert parse_head(b"HTTP/1.1 204 No Content") == (204, 0, False)


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked",
        b"HTTP/1.1 200 OK",
        b"garbage",
        b"HTTP/1.1 abc OK\r\nContent-Length: 1",
    ],
)
def test_answers_the_lane_cannot_frame_are_errors(head: bytes) -> None:
    with pytest.raises(LaneError) as caught:
        parse_head(head)
    assert caught.value.kind == "bad_response"


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_one_connection_carries_many_requests_and_reads_split_answers(loop: str) -> None:
    async def scenario() -> tuple[list[int], HttpPeer]:
        body = b'{"application_id": "x"}' * 100
        async with http_peer(lambda r: json_answer(202 if r.method == "POST" else 200, body)) as p:
            lane = HttpLane("127.0.0.1", p.port, 2.0)
            head = request_head("POST", "/a", "h", {}, 3)
            statuses = [await lane.request(head, b"abc") for _ in range(5)]
            statuses.append(await lane.request(request_head("GET", "/b", "h", {}, None)))
            lane.close()
            return statuses, p

    run = uvloop.run if loop == "uvloop" else asyncio.run
    statuses, peer = run(scenario())
    assert statuses == [202] * 5 + [200]
    assert peer.connections == 1
    assert [r.body for r in peer.seen] == [b"abc"] * 5 + [b""]


def test_a_malformed_answer_fails_the_request_and_the_next_one_reconnects() -> None:
    answers = iter(
        [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", json_answer(200)]
    )

    async def scenario() -> tuple[str, int, int]:
        async with http_peer(lambda _r: next(answers)) as peer:
            lane = HttpLane("127.0.0.1", peer.port, 2.0)
            head = request_head("GET", "/", "h", {}, None)
            with pytest.raises(LaneError) as caught:
                await lane.request(head)
            status = await lane.request(head)
            lane.close()
            return caught.value.kind, status, peer.connections

    assert asyncio.run(scenario()) == ("bad_response", 200, 2)
