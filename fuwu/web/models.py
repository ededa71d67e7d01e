"""What the staff pages keep per user: saved queue filters, and sign-in attempt counters (rate limit)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SavedFilter(models.Model):
    """A named queue filter: the query string of the queue page, which is a `CaseFilter`."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters"
    )
    name = models.CharField(_("名称"), max_length=60)
    query = models.CharField(_("筛选条件"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("保存的筛选")
        verbose_name_plural = _("保存的筛选")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_filter_name")]

    def __str__(self) -> str:
        return self.name


class LoginCounter(models.Model):
    """How many sign-in attempts (or one-time code checks) one key has used in its window.

    One row per key ("login:<identity>", "addr:<address>", "code:<nonce>"), incremented by a
    single INSERT … ON CONFLICT … RETURNING statement *before* the password or code is checked
    (fuwu.web.ratelimit.take): parallel requests each get their own number, so no more than the
    limit are ever checked. Kept in the database, not a per-process cache, so every app process
    counts the same attempts.
    """

    key = models.CharField(max_length=200, unique=True)
    count = models.PositiveIntegerField(default=0)
    since = models.DateTimeField(default=timezone.now, db_index=True)  # the window's start

    class Meta:
        verbose_name = _("登录尝试计数")
        verbose_name_plural = _("登录尝试计数")

    def __str__(self) -> str:
        return f"{self.key} {self.count} {self.since:%Y-%m-%d %H:%M}"
