"""The "API tokens" page in a real browser: from the account menu, create one, see it once, revoke."""

from __future__ import annotations

import pytest

from fuwu.core.models import ApiToken

pytestmark = pytest.mark.django_db(transaction=True)


def test_create_and_revoke_a_token_from_the_account_menu(web, world):
    page = web.page(language="en")
    web.login(page, "agent")
    web.to_english(page)
    page.click("[data-testid=user-menu]")
    page.click("[data-testid=tokens-link]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "API tokens"
    page.fill("#id_name", "nightly report")
    page.uncheck("input[name=scopes][value=write]")
    page.click("[data-testid=create-token]")
    page.wait_for_load_state()
    raw = page.locator("[data-testid=new-token-value]").input_value()
    assert raw.startswith("fw_")
    token = ApiToken.objects.get()
    assert token.name == "nightly report" and token.scope_list == ["read"]
    row = page.locator(f"[data-testid=token-{token.prefix}]")
    assert "Read" in row.inner_text() and "Write" not in row.inner_text()
    web.shot(page, "created")
    row.locator(f"[data-testid=revoke-{token.prefix}]").click()
    page.wait_for_load_state()
    assert page.locator("[data-testid=new-token-value]").count() == 0  # shown once only
    assert "Revoked" in page.locator(f"[data-testid=token-{token.prefix}]").inner_text()
    web.shot(page, "revoked")
    assert page.js_errors == []
