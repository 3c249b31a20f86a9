"""The outbound URL guard: address ranges, resolution, allow-list, URL shape."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence

import pytest

from services.notifier.webhooks.ssrf import (
    AllowList,
    BlockedUrlError,
    UnresolvableHostError,
    UrlGuard,
    blocked_reason,
    system_resolver,
)
from tests.unit.notifier.webhooks.support import PUBLIC_V4, PUBLIC_V6, FakeDns


def guard(table: Mapping[str, Sequence[str]] | None = None, **kwargs: object) -> UrlGuard:
    return UrlGuard(resolver=FakeDns(table or {}), **kwargs)  # type: ignore[arg-type]


BLOCKED = [
    ("127.0.0.1", "loopback"),
    ("127.8.9.10", "loopback"),
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.168.1.1", "private"),
    ("169.254.1.1", "link-local"),
    ("169.254.169.254", "cloud metadata"),
    ("169.254.170.2", "cloud metadata"),
    ("100.100.100.200", "cloud metadata"),
    ("100.64.0.1", "non-public"),  # shared address space (carrier-grade NAT)
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "private"),  # "this network"
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("192.0.2.10", "private"),  # documentation
    ("198.18.0.1", "private"),  # benchmarking
    ("::1", "loopback"),
    ("::", "unspecified"),
    ("fe80::1", "link-local"),
    ("fc00::1", "private"),
    ("fd12:3456::1", "private"),
    ("fd00:ec2::254", "cloud metadata"),
    ("ff02::1", "multicast"),
    ("2001:db8::1", "private"),  # documentation
    ("::ffff:127.0.0.1", "embedding a loopback"),
    ("::ffff:10.0.0.1", "embedding a private"),
    ("::ffff:169.254.169.254", "embedding a cloud metadata"),
    ("::ffff:192.168.0.1", "embedding a private"),
    ("2002:a00:1::1", "embedding a private"),  # 6to4 of 10.0.0.1
    ("2002:7f00:1::1", "embedding a loopback"),  # 6to4 of 127.0.0.1
    ("64:ff9b::a9fe:a9fe", "embedding a cloud metadata"),  # NAT64 of 169.254.169.254
    ("64:ff9b::7f00:1", "embedding a loopback"),  # NAT64 of 127.0.0.1
]


@pytest.mark.parametrize(("address", "reason"), BLOCKED)
def test_non_public_addresses_are_blocked(address: str, reason: str) -> None:
    found = blocked_reason(ipaddress.ip_address(address))
    assert found is not None
    assert reason in found


@pytest.mark.parametrize(
    "address", [PUBLIC_V4, "8.8.8.8", "1.1.1.1", PUBLIC_V6, "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_public_addresses_pass(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(("address", "reason"), BLOCKED)
def test_a_url_at_a_blocked_ip_literal_is_refused(address: str, reason: str) -> None:
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(BlockedUrlError, match=reason):
        guard({address: [address]}).check_url(f"https://{host}/hook")


def test_a_hostname_resolving_to_a_private_ip_is_refused() -> None:
    dns = {"hooks.example.com": ["10.0.0.7"]}
    with pytest.raises(BlockedUrlError, match="resolves to a private address"):
        guard(dns).check_url("https://hooks.example.com/hook")


def test_one_private_answer_among_public_ones_is_enough_to_refuse() -> None:
    dns = {"hooks.example.com": [PUBLIC_V4, "127.0.0.1"]}
    with pytest.raises(BlockedUrlError, match="loopback"):
        guard(dns).check_url("https://hooks.example.com/hook")


def test_a_public_hostname_passes_with_its_checked_addresses() -> None:
    dns = {"hooks.example.com": [PUBLIC_V4, PUBLIC_V6, PUBLIC_V4]}
    target = guard(dns).check_url("https://Hooks.Example.com/hook?x=1")
    assert target.host == "hooks.example.com"
    assert target.port == 443
    assert target.addresses == (
        ipaddress.ip_address(PUBLIC_V4),
        ipaddress.ip_address(PUBLIC_V6),
    )


def test_an_unresolvable_host_is_transient() -> None:
    with pytest.raises(UnresolvableHostError):
        guard({}).check_url("https://nowhere.example.com/")
    with pytest.raises(UnresolvableHostError):
        guard({"empty.example.com": []}).check_url("https://empty.example.com/")


def test_a_resolver_answering_garbage_is_refused() -> None:
    with pytest.raises(BlockedUrlError, match="not an IP"):
        guard({"odd.example.com": ["not-an-ip"]}).check_url("https://odd.example.com/")


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.com/x",
        "file:///etc/passwd",
        "gopher://hooks.example.com/",
        "javascript:alert(1)",
        "hooks.example.com/x",
    ],
)
def test_other_schemes_are_refused(url: str) -> None:
    dns = {"hooks.example.com": [PUBLIC_V4]}
    with pytest.raises(BlockedUrlError):
        guard(dns).check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://user:pw@hooks.example.com/x",
        "https://user@hooks.example.com/x",
        "https://:pw@hooks.example.com/x",
    ],
)
def test_credentials_in_urls_are_refused(url: str) -> None:
    with pytest.raises(BlockedUrlError, match="credentials"):
        guard({"hooks.example.com": [PUBLIC_V4]}).check_url(url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https:///path", "no host"),
        ("https://exa mple.com/", "neither a host name"),
        ("https://127.1/", "neither a host name"),  # shorthand IPv4 forms are not guessed at
        ("https://0x7f.1/", "neither a host name"),
        ("https://hooks.example.com:99999/", "port"),
        ("https://hooks.example.com:0/", "port"),
        ("https://[::1/", "malformed"),
    ],
)
def test_malformed_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(BlockedUrlError, match=message):
        guard({"hooks.example.com": [PUBLIC_V4]}).check_url(url)


def test_ports_are_limited_when_configured() -> None:
    dns = {"hooks.example.com": [PUBLIC_V4]}
    limited = guard(dns, allowed_ports=[443, 8443])
    assert limited.check_url("https://hooks.example.com:8443/x").port == 8443
    assert limited.check_url("https://hooks.example.com/x").port == 443
    with pytest.raises(BlockedUrlError, match="port 6379"):
        limited.check_url("https://hooks.example.com:6379/x")
    assert guard(dns).check_url("https://hooks.example.com:6379/x").port == 6379


def test_plain_http_needs_the_allow_list() -> None:
    dns = {"hooks.example.com": [PUBLIC_V4]}
    with pytest.raises(BlockedUrlError, match="plain http"):
        guard(dns).check_url("http://hooks.example.com/x")
    relaxed = guard(dns, require_https=False)
    assert relaxed.check_url("http://hooks.example.com/x").port == 80
    listed = guard(dns, allow=["hooks.example.com"])
    assert listed.check_url("http://hooks.example.com/x").scheme == "http"


def test_allow_listed_ip_overrides_the_policy() -> None:
    dns = {"127.0.0.1": ["127.0.0.1"], "10.0.0.8": ["10.0.0.8"], "10.1.0.8": ["10.1.0.8"]}
    allowed = guard(dns, allow=["127.0.0.1", "10.0.0.0/24"])
    assert allowed.check_url("http://127.0.0.1:8080/x").addresses == (
        ipaddress.ip_address("127.0.0.1"),
    )
    assert allowed.check_url("https://10.0.0.8/x").port == 443
    with pytest.raises(BlockedUrlError, match="private"):
        allowed.check_url("https://10.1.0.8/x")


def test_allow_listed_ip_covers_its_ipv4_mapped_form() -> None:
    dns = {"hooks.test": ["::ffff:127.0.0.1"]}
    assert guard(dns, allow=["127.0.0.1"]).check_url("https://hooks.test/").port == 443


def test_allow_listed_hostname_overrides_the_policy_for_its_addresses() -> None:
    dns = {"receiver.test": ["10.9.8.7", "::1"], "other.test": ["10.9.8.7"]}
    allowed = guard(dns, allow=["Receiver.Test."])
    assert len(allowed.check_url("http://receiver.test:9000/x").addresses) == 2
    with pytest.raises(BlockedUrlError):
        allowed.check_url("https://other.test/x")


def test_metadata_stays_blocked_even_when_allow_listed() -> None:
    dns = {"metadata.test": ["169.254.169.254"], "169.254.169.254": ["169.254.169.254"]}
    allowed = guard(dns, allow=["metadata.test", "169.254.0.0/16", "169.254.169.254"])
    for url in ("https://metadata.test/latest", "http://169.254.169.254/latest"):
        with pytest.raises(BlockedUrlError, match="cloud metadata"):
            allowed.check_url(url)


@pytest.mark.parametrize("entry", ["10.0.0.1/8", "300.1.1.1", "not a host", "a..b", "-x.test"])
def test_bad_allow_list_entries_are_refused(entry: str) -> None:
    with pytest.raises(ValueError):
        AllowList.parse([entry])


def test_allow_list_parses_hosts_ips_and_networks() -> None:
    allow = AllowList.parse(["localhost", " 127.0.0.1 ", "[::1]", "10.0.0.0/8", ""])
    assert allow.hosts == frozenset({"localhost"})
    assert [str(n) for n in allow.networks] == ["127.0.0.1/32", "::1/128", "10.0.0.0/8"]
    assert allow.permits_host("LOCALHOST.")
    assert allow.permits_host("10.2.3.4")
    assert not allow.permits_host("11.0.0.1")
    assert not AllowList()


def test_guard_repr_names_its_policy() -> None:
    text = repr(UrlGuard(allow=["127.0.0.1"], allowed_ports=[443]))
    assert "127.0.0.1/32" in text
    assert "443" in text


def test_system_resolver_resolves_an_ip_literal_without_dns() -> None:
    assert system_resolver("127.0.0.1", 80) == ["127.0.0.1"]
