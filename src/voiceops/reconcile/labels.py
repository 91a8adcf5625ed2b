"""Risk labels: what kind of change each change is (`model`, `voice`, `prompt`, ...).

Each vendor's schema maps its fields to labels (`x-voiceops-labels`); voiceops.yaml's
`review.labels` adds fields or replaces a field's labels. A change gets the labels of the
fields it is at, inside, or contains; a whole assistant created or deleted gets `create`
or `delete` (`AssistantPlan.labels`).
"""

from __future__ import annotations

import dataclasses

from voiceops.reconcile.changes import Change
from voiceops.spec.schemas import FieldPath
from voiceops.spec.validation import Project

Labels = dict[FieldPath, tuple[str, ...]]


def field_labels(project: Project, vendor: str) -> Labels:
    """The vendor schema's labels, with voiceops.yaml's `review.labels` over them."""
    labels = dict(project.schemas.field_labels(vendor))
    for name, chosen in project.config.review_labels.get(vendor, {}).items():
        labels[tuple(name.split("."))] = chosen
    return labels


def labels_of(change: Change, labels: Labels) -> tuple[str, ...]:
    """The labels of every field `change` is at, inside, or contains (list indexes aside)."""
    path = tuple(str(p) for p in change.path if not isinstance(p, int))
    return _labels_at(path, labels)


def _labels_at(path: tuple[str, ...], labels: Labels) -> tuple[str, ...]:
    found: list[str] = []
    for field_path, names in labels.items():
        shorter = min(len(field_path), len(path))
        if field_path[:shorter] == path[:shorter]:
            found += names
    return tuple(sorted(set(found)))


def labelled(changes: list[Change], labels: Labels) -> list[Change]:
    return [dataclasses.replace(c, labels=labels_of(c, labels)) for c in changes]
