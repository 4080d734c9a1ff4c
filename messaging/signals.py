"""Signals of the outbox.

``message_sent`` is sent after a message went out and its "sent" state was
stored, with ``message`` (the row as stored). Apps that keep their own
record of who was told connect to it (the recall notices, stock.recall).
A receiver's error is logged and does not undo the sending: the message
has gone, and must not be sent again.
"""

from django.dispatch import Signal

message_sent = Signal()
