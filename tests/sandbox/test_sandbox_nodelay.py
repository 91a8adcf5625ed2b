"""The sandbox answers without Nagle stalls: TCP_NODELAY is on for every connection it
accepts. Checked as a socket option, never by timing."""

from __future__ import annotations

import socket
from typing import Any

import httpx

from voiceops.sandbox.server import ServerThread, set_no_delay


async def hello(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"hi"})


def no_delay(sock: Any) -> int:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def test_connections_the_sandbox_accepted_have_nagle_off() -> None:
    server = ServerThread(hello)
    port = server.start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            assert client.get("/").text == "hi"
            # The keep-alive connection is still open on the server's side.
            assert server._server is not None
            connections = list(server._server.server_state.connections)
            sockets = [c.transport.get_extra_info("socket") for c in connections]
            assert sockets
            assert all(no_delay(s) for s in sockets)
    finally:
        server.stop()


def test_no_delay_is_set_whatever_protocol_the_listening_socket_was_made_with() -> None:
    # A listener made without IPPROTO_TCP: asyncio alone would leave Nagle on.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        with socket.create_connection(listener.getsockname()):
            accepted, _ = listener.accept()
            with accepted:
                assert no_delay(accepted) == 0
                set_no_delay(accepted)
                assert no_delay(accepted)
