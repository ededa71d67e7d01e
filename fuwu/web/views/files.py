"""Staff attach photos and files to a case, or to one checklist item of its step (issue 10,
item 7): before/after repair photos, a walk-around's damage points, a signed PDF.

One POST (`cases/<id>/attach/`, multipart): the files are checked (`check_files`: pictures
cleaned of EXIF and bounded in pixels, PDF/Office recognised by their bytes, the size limits of
`fuwu.web.uploads`) and put on the case by the action `attachments.attach` (the `attached`
event; who may is `policy.may_attach`). A refused upload stores nothing and says why.

With htmx, an upload for the whole case swaps the case body like every form on the page; an
upload for a checklist item swaps only that item's photos (and the files card, out of band), so
what the technician has typed in the step form so far stays as it is. Without htmx: a redirect
back to the case (PRG) with the message.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fuwu.cases.attachments import attach, check_files
from fuwu.procedures.engine.errors import EngineError
from fuwu.web.access import actor_of, staff_required
from fuwu.web.files import by_item, case_files, upload_context
from fuwu.web.views.case import _case, _render


@require_POST
@staff_required
def attach_files(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = actor_of(request)
    case = _case(request, case_id)  # 404 for a case this person may not see
    step = request.POST.get("step", "")[:100]
    item = request.POST.get("item", "")[:100]
    files = request.FILES.getlist("files")
    problems: list[str] = []
    count = 0
    try:
        if not files:
            raise ValidationError(_("请选择要上传的照片或文件。"))
        checked = check_files(files)
        count = len(attach(actor, case_id, checked, step=step, item=item))
    except ValidationError as exc:
        problems = list(exc.messages)
    except EngineError as exc:
        if exc.status == 404:  # gone meanwhile (or never visible): as if it never existed
            raise Http404 from None
        lang = get_language() or "zh-hans"
        problems = list(exc.details(lang).get("fields", {}).values()) or [exc.message(lang)]
    text = (
        " ".join(problems)
        if problems
        else ngettext("已上传 %(count)s 个文件", "已上传 %(count)s 个文件", count)
        % {"count": count}
    )
    status = 400 if problems else 200
    if not request.htmx:  # type: ignore[attr-defined]
        (messages.error if problems else messages.success)(request, text)
        return redirect("web:case", case_id=case_id)
    case = _case(request, case_id)
    if not item:
        level = "danger" if problems else "success"
        return _render(request, case, status=status, notice=(level, text))
    files_shown = case_files(case)
    return render(
        request,
        "web/_item_files_answer.html",
        {
            "case": case,
            "key": item,
            "files": by_item(files_shown).get(f"{step}.{item}", []),
            "attachments": files_shown,
            **upload_context(case, actor),
            "problems": problems,
            "done": "" if problems else text,
        },
        status=status,
    )


urlpatterns = [
    path("cases/<int:case_id>/attach/", attach_files, name="case-attach"),
]
