"""An action's moment (fuwu.core.clock): the present, or the one the demo sets for a block."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from fuwu.cases import actions
from fuwu.core import clock

pytestmark = pytest.mark.django_db


def test_now_is_the_present_unless_a_block_sets_it():
    before = timezone.now()
    assert before <= clock.now() <= timezone.now()
    past = before - timedelta(days=3)
    with clock.at(past):
        assert clock.now() == past
        with clock.at(past + timedelta(hours=1)):
            assert clock.now() == past + timedelta(hours=1)
        assert clock.now() == past
    assert clock.now() >= before


def test_a_block_in_the_future_or_without_a_zone_is_refused():
    with pytest.raises(ValueError, match="future"), clock.at(timezone.now() + timedelta(hours=1)):
        pass
    with pytest.raises(ValueError, match="aware"), clock.at(datetime(2026, 1, 1)):
        pass


def test_a_change_in_the_block_is_stamped_with_its_moment(world):
    agent = world.actor("agent")
    opened = timezone.now() - timedelta(days=2)
    case = actions.open_case(
        agent,
        procedure_key="property_repair",
        site_id=world.sites["lanting"].pk,
        channel="phone",
        title="灯不亮",
        data={"repair_item": "灯", "service_type": "free"},
        now=opened,
    )
    moment = opened + timedelta(hours=5)
    with clock.at(moment):
        actions.comment(agent, case.pk, text="已联系业主")
    case.refresh_from_db()
    assert case.updated_at == moment
    assert case.events.order_by("-seq").first().at == moment  # type: ignore[union-attr]
    actions.comment(agent, case.pk, text="再次联系")  # outside the block: the present
    assert case.events.order_by("-seq").first().at > moment + timedelta(days=1)  # type: ignore[union-attr]
