"""Outbound URL guard for webhooks: only public addresses, unless explicitly allow-listed.

A webhook URL is chosen by a subscriber, so the notifier must never become a way to reach what
sits next to it: the cloud metadata service, Redis, Kafka, an admin port on localhost. The guard

* accepts only ``http`` and ``https`` URLs with a host, without credentials (``user:pw@``), and
  plain ``http`` only to an allow-listed host (``require_https``); if ``allowed_ports`` is
  configured, only those ports;
* resolves the host (``getaddrinfo``; the resolver is injectable) and refuses the URL if *any*
  resolved address is not public: private, loopback, link-local, multicast, reserved,
  unspecified, shared (100.64.0.0/10), documentation and benchmarking ranges, and IPv6
  addresses that embed such an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``, 6to4, NAT64);
* refuses the cloud metadata endpoints (``METADATA_ADDRESSES``) always, even when allow-listed;
* lets through a host named in the allow-list, or an address inside an allow-listed IP/CIDR.

Checking a URL and then letting an HTTP client resolve the name again would leave a window for
DNS rebinding (public answer to the check, ``127.0.0.1`` to the connect). The webhook transport
(``transport.py``) closes it: it resolves and checks the host with ``UrlGuard.resolve`` *at
connect time* and connects to the checked address itself, while TLS still uses the URL's host
name for SNI and certificate verification, and the ``Host`` header is untouched. See the README
for the limits.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Final, TypeAlias

import httpx

from services.common.errors import PermanentError, TransientError

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver: TypeAlias = Callable[[str, int], Sequence[str]]
"""``(host, port) -> addresses`` as text; raises ``OSError`` when the name does not resolve."""

ALLOWED_SCHEMES: Final = frozenset({"http", "https"})
DEFAULT_PORTS: Final = {"http": 80, "https": 443}

METADATA_ADDRESSES: Final[frozenset[IPAddress]] = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean ... instance metadata
        "169.254.170.2",  # AWS ECS task metadata and credentials
        "169.254.170.23",  # AWS EKS pod identity agent
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "fd00:ec2::23",  # AWS EKS pod identity agent over IPv6
    )
)
"""Never reachable, whatever the allow-list says."""

_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")
_HOSTNAME_MAX: Final = 253


class BlockedUrlError(PermanentError):
    """The URL or one of its addresses is not allowed; retrying will not help."""


class UnresolvableHostError(TransientError):
    """The host name did not resolve (now); DNS may answer later."""


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``getaddrinfo`` gives for a TCP connection, in its order, de-duplicated."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    addresses: list[str] = []
    for _family, _type, _proto, _canonical, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def blocked_reason(address: IPAddress) -> str | None:
    """Why ``address`` must not be contacted, or None if it is a public unicast address."""
    if address in METADATA_ADDRESSES:
        return "cloud metadata endpoint"
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            address = ipaddress.IPv6Address(str(address).split("%", 1)[0])
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            inner = blocked_reason(embedded)
            return None if inner is None else f"IPv6 address embedding a {inner} address"
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("non-public", not address.is_global),
    )
    for reason, hit in checks:
        if hit:
            return reason
    return None


def _normalise_host(host: str) -> str:
    return host.strip().rstrip(".").lower()


def _parse_address(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


@dataclass(frozen=True)
class AllowList:
    """Host names (exact, case-insensitive) and IP networks allowed despite the address policy.

    Meant for tests and for a receiver deliberately run on a private network; an entry also
    lets that host be reached over plain ``http``. It never opens the metadata endpoints.
    """

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        """From entries such as ``127.0.0.1``, ``10.0.0.0/8``, ``::1``, ``hooks.test``."""
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in entries:
            entry = raw.strip()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=True))
                continue
            except ValueError:
                if "/" in entry or _parse_address(entry) is not None:
                    raise ValueError(
                        "an allow-list network has host bits set or is malformed"
                    ) from None
            host = _normalise_host(entry)
            if not _looks_like_hostname(host):
                raise ValueError("allow-list entries are host names, IP addresses or CIDRs")
            hosts.add(host)
        return cls(hosts=frozenset(hosts), networks=tuple(networks))

    def __bool__(self) -> bool:
        return bool(self.hosts or self.networks)

    def permits_address(self, address: IPAddress) -> bool:
        """Whether ``address`` (or the IPv4 address it embeds) is in an allowed network."""
        candidates: list[IPAddress] = [address]
        if isinstance(address, ipaddress.IPv6Address):
            embedded = _embedded_ipv4(address)
            if embedded is not None:
                candidates.append(embedded)
        return any(
            candidate.version == network.version and candidate in network
            for candidate in candidates
            for network in self.networks
        )

    def permits_host(self, host: str) -> bool:
        """Whether the URL host is allow-listed by name, or is an IP literal in a network."""
        normalised = _normalise_host(host)
        if normalised in self.hosts:
            return True
        literal = _parse_address(normalised)
        return literal is not None and self.permits_address(literal)


def _looks_like_hostname(host: str) -> bool:
    if not host or len(host) > _HOSTNAME_MAX:
        return False
    labels = host.split(".")
    if labels[-1].isdigit() or labels[-1].startswith("0x"):
        return False  # 127.1, 0x7f.1, 300.1.1.1: numbers that are not a canonical IP
    return all(
        0 < len(label) <= 63
        and all(c.isascii() and (c.isalnum() or c in "-_") for c in label)
        and not label.startswith("-")
        and not label.endswith("-")
        for label in labels
    )


@dataclass(frozen=True)
class Target:
    """A URL that passed the guard: where it goes, and the addresses that were checked."""

    scheme: str
    host: str
    port: int
    addresses: tuple[IPAddress, ...]


class UrlGuard:
    """Decides whether a webhook URL may be called, and which addresses a host may use."""

    def __init__(
        self,
        *,
        allow: AllowList | Iterable[str] = (),
        allowed_ports: Collection[int] = (),
        require_https: bool = True,
        resolver: Resolver = system_resolver,
    ) -> None:
        self._allow = allow if isinstance(allow, AllowList) else AllowList.parse(allow)
        self._ports = frozenset(allowed_ports)
        self._require_https = require_https
        self._resolver = resolver

    @property
    def allow(self) -> AllowList:
        return self._allow

    def __repr__(self) -> str:
        return (
            f"UrlGuard(hosts={sorted(self._allow.hosts)}, "
            f"networks={[str(n) for n in self._allow.networks]}, "
            f"ports={sorted(self._ports) or 'any'}, require_https={self._require_https})"
        )

    def check_url_shape(self, url: str | httpx.URL) -> tuple[str, str, int]:
        """``(scheme, host, port)`` if the URL itself is acceptable; nothing is resolved."""
        try:
            parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise BlockedUrlError("malformed URL") from exc
        scheme = parsed.scheme.lower()
        if scheme not in ALLOWED_SCHEMES:
            raise BlockedUrlError(f"scheme {scheme!r} is not allowed; use https")
        if parsed.userinfo:
            raise BlockedUrlError("URLs must not carry credentials")
        host = parsed.raw_host.decode("ascii")
        if not host:
            raise BlockedUrlError("URL has no host")
        if _parse_address(host) is None and not _looks_like_hostname(_normalise_host(host)):
            raise BlockedUrlError("URL host is neither a host name nor an IP address")
        port = parsed.port if parsed.port is not None else DEFAULT_PORTS[scheme]
        if not 0 < port < 65536:
            raise BlockedUrlError("URL port is out of range")
        if self._ports and port not in self._ports:
            raise BlockedUrlError(f"port {port} is not allowed")
        if self._require_https and scheme != "https" and not self._allow.permits_host(host):
            raise BlockedUrlError("plain http is allowed only to allow-listed hosts")
        return scheme, host, port

    def check_url(self, url: str | httpx.URL) -> Target:
        """Check the URL and every address its host resolves to; raises if anything is off.

        ``BlockedUrlError`` (permanent) for a refused URL or address,
        ``UnresolvableHostError`` (transient) when DNS gives no answer.
        """
        scheme, host, port = self.check_url_shape(url)
        return Target(scheme, host, port, self.resolve(host, port))

    def resolve(self, host: str, port: int) -> tuple[IPAddress, ...]:
        """The addresses of ``host`` that may be contacted, all checked; raises otherwise."""
        host = host.strip("[]")
        try:
            answers = self._resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise UnresolvableHostError(f"host {host!r} does not resolve") from exc
        addresses: list[IPAddress] = []
        for answer in answers:
            address = _parse_address(answer)
            if address is None:
                raise BlockedUrlError(f"host {host!r} resolved to something that is not an IP")
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise UnresolvableHostError(f"host {host!r} has no addresses")
        allowed_by_name = _normalise_host(host) in self._allow.hosts
        for address in addresses:
            reason = blocked_reason(address)
            if reason is None:
                continue
            if address in METADATA_ADDRESSES:
                raise BlockedUrlError(f"host {host!r} resolves to a {reason}")
            if not (allowed_by_name or self._allow.permits_address(address)):
                raise BlockedUrlError(f"host {host!r} resolves to a {reason} address")
        return tuple(addresses)
