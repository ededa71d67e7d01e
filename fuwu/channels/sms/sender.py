"""Customer notices by SMS through the configured provider (the outbound core's sender for
channel `sms`). The text is the notice's body; the delivery's id goes along as the provider's
reference, and the provider's message id comes back for its receipt."""

from __future__ import annotations

from fuwu.channels.models import Delivery
from fuwu.channels.senders import PermanentError
from fuwu.channels.sms import provider
from fuwu.channels.sms.base import SmsError

MAX_TEXT = 500  # a long SMS is split by the network; past this a notice is cut


class SmsSender:
    def send(self, delivery: Delivery) -> str:
        text = delivery.body.strip() or delivery.subject
        try:
            sent = provider().send(delivery.address, text[:MAX_TEXT], reference=str(delivery.pk))
        except SmsError as exc:
            if not exc.retry:
                raise PermanentError(str(exc)) from exc
            raise
        return sent.message_id
