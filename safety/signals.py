"""Keep follow-up links alive through a course: charting a later session
moves the expiry of the course's earlier links (safety/links.py)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from clinical.models import SessionChart
from safety.links import extend_course_links


@receiver(post_save, sender=SessionChart, dispatch_uid="safety_extend_links")
def extend_links_on_charting(
    sender: Any, instance: SessionChart, created: bool, **kwargs: Any
) -> None:
    if created and not kwargs.get("raw"):
        extend_course_links(instance)
