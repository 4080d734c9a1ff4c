"""When the follow-up check-ins fall due after a session.

The steps are the catalog's (follow_ups.toml): the early ones count from
the end of this session, the late ones (asking about lumps and drainage
up to 12 weeks, for the slow mycobacterial infection) from the end of the
course's latest session, so they move on each time a session is charted.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from core.catalog.model import Catalog, FollowUpStep


def follow_up_times(
    catalog: Catalog, session_end: datetime, last_session_end: datetime
) -> list[tuple[FollowUpStep, datetime]]:
    """Each step with the moment it falls due, in time order. A
    ``last_session_end`` before ``session_end`` counts as ``session_end``
    (this session is then the latest)."""
    latest = max(session_end, last_session_end)
    due = [
        (
            step,
            (session_end if step.anchor == "session" else latest)
            + timedelta(hours=step.after_hours),
        )
        for step in catalog.follow_ups.values()
    ]
    return sorted(due, key=lambda pair: pair[1])
