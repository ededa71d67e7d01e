"""The case page's print menu: the documents of the case's procedure (fuwu.documents.queries)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

from fuwu.documents.queries import entries

register = template.Library()


@register.inclusion_tag("web/_case_documents.html", takes_context=True)
def case_documents(context: template.Context, case: Any) -> dict[str, Any]:
    request = context.get("request")
    actor = getattr(request, "actor", None)
    found = entries(actor, case, get_language() or "zh-hans") if actor is not None else []
    return {"case": case, "documents": found, "csrf_token": context.get("csrf_token")}
