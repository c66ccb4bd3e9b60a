"""The real client address and scheme, from trusted reverse proxies only.

Behind a load balancer every request comes from the balancer's address, so login
throttling would treat the whole school as one client, and one attacker could lock a
learner out for everyone. The balancer tells the real address in X-Forwarded-For and the
scheme in X-Forwarded-Proto, but any client can send those headers too; they count only
when the operator says how many proxies stand in front (DJANGO_TRUSTED_PROXY_COUNT) and,
optionally, which addresses they have (DJANGO_TRUSTED_PROXY_IPS).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST")


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def _trusted_peer(peer: str, trusted: list[str]) -> bool:
    if not trusted:
        return True
    address = _address(peer)
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    for entry in trusted:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_address(meta: dict[str, str], proxy_count: int, trusted: list[str]) -> str | None:
    """The client's address for a request with these headers, or None to leave REMOTE_ADDR.

    With `proxy_count` proxies, each appends the address it received the request from, so
    the client is the `proxy_count`-th entry from the right; anything further left was
    written by the client and is ignored.
    """
    forwarded = [part for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxy_count <= 0 or not forwarded:
        return None
    if not _trusted_peer(meta.get("REMOTE_ADDR", ""), trusted):
        return None
    if len(forwarded) < proxy_count:
        return None  # fewer hops than proxies: the leftmost entry would be the client's word
    return _address(forwarded[len(forwarded) - proxy_count])


class TrustedProxyMiddleware:
    """Sets REMOTE_ADDR to the real client behind trusted proxies, and drops the
    X-Forwarded-* headers of any request that did not come through them, so that
    Django's SECURE_PROXY_SSL_HEADER, django-axes and the rate limits all see the truth.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.proxy_count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
        self.trusted = list(getattr(settings, "TRUSTED_PROXY_IPS", []))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        behind_proxy = self.proxy_count > 0 and _trusted_peer(
            meta.get("REMOTE_ADDR", ""), self.trusted
        )
        if behind_proxy:
            client = client_address(meta, self.proxy_count, self.trusted)
            if client is not None:
                meta["REMOTE_ADDR"] = client
        else:
            for header in FORWARDED_HEADERS:
                meta.pop(header, None)
        return self.get_response(request)
