"""Interactly: Bearer key, one GET and one PATCH per assistant; every PATCH carries `name`."""

from __future__ import annotations

from voiceops.live.providers.base import Provider, segment


class Interactly(Provider):
    type = "interactly"
    id_field = "_id"
    name_field = "name"
    read_only = frozenset({("_id",), ("teamId",), ("createdAt",), ("updatedAt",)})
    required_in_update = ("name",)
    replaces_whole = frozenset(
        {
            "config",
            "startSpeakingOptions",
            "stopSpeakingOptions",
            "assistantPredefinedTools",
            "callForwardData",
            "assistantAnalysis",
            "assistantOverrides",
            "assistantServer",
        }
    )

    # The page lists the models per provider; the schema checks them when the spec has both.
    checked_together = (("assistantProvider", "assistantModel"),)

    def read_path(self, assistant_id: str) -> str:
        return f"/assistants/v1/assistants/{segment(assistant_id)}"

    def update_target(self, assistant_id: str) -> tuple[str, str]:
        return "PATCH", self.read_path(assistant_id)
