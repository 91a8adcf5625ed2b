"""Edmo: cookie login, GET and PATCH per assistant; `model`, `voice`, `transcriber` go whole,
and every PATCH carries `model` and `voice`.
Create and delete are documented; a list is not."""

from __future__ import annotations

from voiceops.live.credentials import header_flaw
from voiceops.live.httpclient import (
    Client,
    ConnectionRequestFailed,
    RequestFailed,
    StatusFailed,
)
from voiceops.live.providers.base import Provider, segment

COOKIE = "auth-token"


class Edmo(Provider):
    type = "edmo"
    id_field = "id"
    name_field = "name"
    # Both travel in the JSON login body; only the vendor's cookie goes in a header.
    header_credentials = ()
    read_only = frozenset({("id",), ("orgId",), ("createdAt",), ("updatedAt",)})
    # `model` must always carry provider and model, so it is sent whole like the others.
    replaces_whole = frozenset({"model", "voice", "transcriber", "metadata"})
    # The update page (help.goedmo.com/apidocs/update-an-assistant-1) calls every field
    # optional yet marks `model` and `voice` "Required"; nothing settles which holds, so
    # every PATCH carries both (live laid under desired), valid under either reading.
    required_in_update = ("model", "voice")
    _cookie: str | None = None  # the session cookie of the last login

    def headers(self) -> dict[str, str]:
        return {}

    def secrets(self) -> list[str]:
        # The session cookie is a credential too: a vendor error may quote it.
        return [*super().secrets(), *([self._cookie] if self._cookie else [])]

    async def start(self, client: Client) -> None:
        client.reauthenticate = lambda: self._login(client)
        await self._login(client)

    async def _login(self, client: Client) -> None:
        # The login body is not documented publicly; JSON email/password is assumed.
        credentials = {
            "email": self.credential("email_env"),
            "password": self.credential("password_env"),
        }
        try:
            response = await client.request(
                "POST", "/auth/login", json=credentials, idempotent=True, reauthenticate=False
            )
        except RequestFailed as exc:
            if exc.status in (400, 401, 403):
                raise StatusFailed(self.rejected_credentials(), status=401) from None
            raise
        token = response.cookies.get(COOKIE)
        if not token:
            raise ConnectionRequestFailed(
                f"connection {self.name!r}: login did not set the {COOKIE} cookie"
            )
        if header_flaw(token):
            # It could not be sent back in a Cookie header.
            raise ConnectionRequestFailed(
                f"connection {self.name!r}: login set an unusable {COOKIE} cookie "
                f"({header_flaw(token)})"
            )
        self._cookie = token
        if self.on_secret is not None:
            self.on_secret(token)
        client.http.cookies.clear()
        client.http.cookies.set(COOKIE, token)

    def read_path(self, assistant_id: str) -> str:
        return f"/assistants/{segment(assistant_id)}"

    def update_target(self, assistant_id: str) -> tuple[str, str]:
        return "PATCH", self.read_path(assistant_id)

    def create_target(self) -> tuple[str, str]:
        return "POST", "/assistants"

    def delete_target(self, assistant_id: str) -> tuple[str, str]:
        return "DELETE", self.read_path(assistant_id)
