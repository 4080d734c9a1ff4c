"""Test clients as the people of the `people` fixture, and the record's URLs."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client


def login(user: Any) -> Client:
    """A client logged in as ``user`` (no password step, no second factor)."""
    client = Client()
    client.force_login(user)
    return client


def post_json(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def record(people: Any, rest: str = "") -> str:
    """A page of ``people.patient``'s record."""
    return f"/staff/{people.clinic.slug}/patients/{people.patient.pk}/record/{rest}"


def api(people: Any, rest: str = "") -> str:
    """An API path of ``people.patient``'s record."""
    return f"/api/v1/patients/{people.patient.pk}/{rest}"
