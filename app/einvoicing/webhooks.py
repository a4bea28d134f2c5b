"""Webhooks of the AFNOR Flow Service (XP Z12-013, OpenAPI « AFNOR Flow Service » 1.2.0):
``POST /webhooks`` registers a callback (``Webhook``: ``callback {url, headers[]}`` and
``metadata {flowType, flowDirection}``, both required; answer 201 with ``webhookId``),
``DELETE /webhooks/{webhookUid}`` removes it, and the platform then POSTs each new flow to
the callback as ``WebhookCallbackContent`` — ``{"flowInfo": Flow}``.

A desktop workstation can only be called back when the platform can reach it: the
platform runs on the same machine (the reference platform, a demo) or on the firm's own
network. :func:`callback_host` says which local address to listen on, or None — then the
window polls instead (``ui/einvoicing_watch.py``). The :class:`Listener` is a small HTTP
server living while the window is open; each callback carries a header with a random
token given at registration, so nobody else can feed it flows. It only queues what it
receives: the flows are read and stored by :func:`app.einvoicing.sync.apply_flows`.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import secrets
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlparse

from app.einvoicing import connector, spec

TOKEN_HEADER = "X-Propreo-Webhook"
CALLBACK_PATH = "/propreo/flux"
# The incoming flows the firm waits for: statuses of its invoices, supplier invoices.
WATCHED = ("CustomerInvoiceLC", "SupplierInvoice")


def callback_host(base_url: str) -> str | None:
    """The local address the platform at ``base_url`` can call back, or None when it
    cannot reach this workstation (a platform on the internet: the window polls)."""
    host = urlparse(base_url).hostname
    if not host:
        return None
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return None
    addresses = {ipaddress.ip_address(info[4][0]) for info in infos}
    if not addresses:
        return None
    if all(a.is_loopback for a in addresses):
        return "127.0.0.1"
    if all(a.is_private and a.version == 4 for a in addresses):
        # This workstation's own address on the route to the platform.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect((str(next(iter(addresses))), 9))
            return str(probe.getsockname()[0])
    return None


def valid_callback(body: Any) -> dict[str, Any] | None:
    """The ``flowInfo`` of a ``WebhookCallbackContent``, None when it is not one."""
    if not isinstance(body, dict) or not isinstance(body.get("flowInfo"), dict):
        return None
    flow = body["flowInfo"]
    if not isinstance(flow.get("flowId"), str) or flow.get("flowType") not in spec.FLOW_TYPES:
        return None
    return dict(flow)


class Listener:
    """The local callback server: ``on_flow(flowInfo)`` is called on its own thread."""

    def __init__(self, host: str, on_flow: Callable[[dict[str, Any]], None]) -> None:
        self.token = secrets.token_urlsafe(24)
        self.received = 0
        listener = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self, status: int) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if urlparse(self.path).path != CALLBACK_PATH:
                    self._answer(404)
                    return
                given = self.headers.get(TOKEN_HEADER, "")
                if not hmac.compare_digest(given.encode(), listener.token.encode()):
                    self._answer(401)
                    return
                try:
                    flow = valid_callback(json.loads(data or b"null"))
                except ValueError:
                    flow = None
                if flow is None:
                    self._answer(400)
                    return
                listener.received += 1
                on_flow(flow)
                self._answer(204)

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.host = host
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.server.server_address[1]}{CALLBACK_PATH}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def register(platform: connector.Session, listener: Listener) -> list[str]:
    """One webhook per watched flow type (``metadata.flowType`` holds one value)."""
    ids = []
    for flow_type in WATCHED:
        body = {
            "callback": {
                "url": listener.url,
                "headers": [{"name": TOKEN_HEADER, "value": listener.token}],
            },
            "metadata": {"flowType": flow_type, "flowDirection": "In"},
        }
        response = platform.call("POST", f"{spec.FLOW_PREFIX}/webhooks", ok=(200, 201), json=body)
        ids.append(str(response.json()["webhookId"]))
    return ids


def unregister(platform: connector.Session, ids: list[str]) -> None:
    for webhook_id in ids:
        platform.call("DELETE", f"{spec.FLOW_PREFIX}/webhooks/{webhook_id}", ok=(200, 204, 404))
