"""One rule for every model's history (django-simple-history).

The history keeps a change reason in a 100-character column, while the
reasons written come from people ("Cancelled: the patient has a fever and
...") and can be longer. Every historical row's reason is fitted here, once,
for every model, rather than cut at each place that writes one; the whole
reason is kept where it belongs (the cancellation, the override, the
amendment row).
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver
from simple_history.signals import pre_create_historical_record

REASON_LENGTH = 100  # simple_history's history_change_reason column


@receiver(pre_create_historical_record)
def fit_change_reason(sender: Any, history_instance: Any, **kwargs: Any) -> None:
    reason = history_instance.history_change_reason
    if reason and len(reason) > REASON_LENGTH:
        history_instance.history_change_reason = reason[: REASON_LENGTH - 1] + "…"
