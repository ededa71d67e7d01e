"""The admin in the administrator's language (issue 10, item 13), in real Chromium: in Chinese
the index and the task queue's list show no untranslated English (the admin's pages in both
languages, page by page: fuwu/tests/test_admin_chinese.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from fuwu.tests.test_admin_chinese import english_words

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = ["/admin/", "/admin/django_tasks_database/dbtaskresult/", "/admin/cases/worklog/"]


@pytest.mark.parametrize(("language", "phone"), [("zh-hans", False)], ids=["zh-desktop"])
def test_the_admin_speaks_the_administrators_language(web, world, language, phone):
    get_user_model().objects.create_superuser("管理员", "", "pw-管理员-123")
    page = web.page(phone=phone, language="en-GB" if language == "en" else "zh-CN")
    web.login(page, "管理员", "pw-管理员-123")
    if language == "en":  # the language switch's cookie (an administrator has no staff profile)
        page.context.add_cookies([{"name": "django_language", "value": "en", "url": web.base_url}])
    for url in PAGES:
        page.goto(url)
        text = page.locator("#content").inner_text()
        if language == "zh-hans":
            assert english_words(text) == set(), url
        else:
            body = page.locator("body").inner_text().lower()  # app captions are upper-cased
            assert "后台任务" not in body and "工作记录" not in body, url
            assert "background tasks" in body or url != "/admin/"
        web.shot(page, url.strip("/").replace("/", "-"), full_page=False)
