"""A document as HTML with print CSS, and as PDF through WeasyPrint.

What a document shows is read here from the case (its fields, line items, checklist answers),
the workshop's rows for it (appointment, repair jobs, reserved parts) and its signatures; the
template (`documents/<kind>.html` over `documents/base.html`) only lays it out. Personal values
follow `fuwu.customers.privacy` as on the case's print page: masked unless the reader sees them
in full. The Chinese font is vendored (`static/documents/fonts`, Noto Sans SC, SIL OFL) and
loaded by @font-face from its file, so a machine without CJK fonts prints Chinese all the same.

WeasyPrint needs Debian's Pango (libpango-1.0-0, libpangoft2-1.0-0); `renderer()` says so
plainly when it is missing instead of failing deep inside an import.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fuwu.cases.models import Case
from fuwu.core.actors import Actor
from fuwu.customers import privacy
from fuwu.documents.kinds import DocKind
from fuwu.documents.models import Document, Signature
from fuwu.procedures.engine.definition import ChecklistKind, FieldType
from fuwu.procedures.engine.machine import CHECKS_KEY, is_blank
from fuwu.procedures.registry import definition_of
from fuwu.scheduling.models import Appointment, PartReservation, RepairJob
from fuwu.web.values import LinesTable, display, lines_table

FONTS = Path(__file__).resolve().parent / "static" / "documents" / "fonts"
PANGO_HELP = (
    "WeasyPrint cannot load Pango, which it needs to print documents. "
    "Install Debian's libpango-1.0-0 and libpangoft2-1.0-0 "
    "(apt-get install libpango-1.0-0 libpangoft2-1.0-0), then start Fuwu again."
)
User = get_user_model()


class RendererMissing(RuntimeError):
    """WeasyPrint or the system libraries it loads are not installed."""


def renderer() -> Any:
    """The `weasyprint` module, or `RendererMissing` with what to install."""
    try:
        import weasyprint
    except OSError as missing:  # cffi could not open libpango / libgobject
        raise RendererMissing(f"{PANGO_HELP} ({missing})") from None
    return weasyprint


@dataclass(frozen=True)
class Fact:
    key: str
    label: str
    text: str  # "" for a blank: the paper leaves a line to write on
    long: bool = False


@dataclass(frozen=True)
class Box:
    label: str
    image: str = ""  # a data: URL of the drawn signature
    signer: str = ""
    signed_at: datetime | None = None


@dataclass
class Sheet:
    """Everything one document prints; `pages` repeats it once per part (一式两份)."""

    kind: DocKind
    title: str
    number: str
    copy: bool
    case: Case
    site_name: str
    customer: str
    phone: str
    asset: str
    facts: list[Fact]
    tables: list[LinesTable]
    checks: list[Fact]
    workshop: dict[str, Any]
    boxes: list[Box]
    note: str
    printed_by: str
    printed_at: datetime
    pages: list[str] = field(default_factory=list)

    @property
    def fact_rows(self) -> list[list[Fact]]:
        """Two short facts a row; a long one on a row of its own."""
        rows: list[list[Fact]] = []
        for f in self.facts:
            if not f.long and rows and len(rows[-1]) == 1 and not rows[-1][0].long:
                rows[-1].append(f)
            else:
                rows.append([f])
        return rows


def _person_names(usernames: set[str]) -> dict[str, str]:
    if not usernames:
        return {}
    people = User.objects.filter(username__in=usernames).select_related("staff")
    out = {}
    for u in people:
        staff = getattr(u, "staff", None)
        out[u.username] = staff.display_name if staff else (u.get_full_name() or u.username)
    return out


def _facts(kind: DocKind, case: Case, data: dict[str, Any], language: str) -> list[Fact]:
    fields = definition_of(case.procedure).all_fields()
    chosen = [fields[k] for k in kind.fields if k in fields and k not in kind.lines]
    names = _person_names(
        {
            str(data[f.key])
            for f in chosen
            if f.type is FieldType.PERSON and isinstance(data.get(f.key), str)
        }
    )
    out = []
    for f in chosen:
        raw = data.get(f.key)
        if is_blank(raw) or isinstance(raw, dict):
            text = ""
        elif f.type is FieldType.PERSON:
            text = names.get(str(raw), str(raw))
        else:
            text = display(f, raw, language)
        out.append(Fact(f.key, f.label.get(language), text, len(text) > 30 or "\n" in text))
    return out


def _tables(kind: DocKind, case: Case, data: dict[str, Any], language: str) -> list[LinesTable]:
    fields = definition_of(case.procedure).all_fields()
    return [
        lines_table(fields[k], data.get(k) or [], language)
        for k in kind.lines
        if k in fields and fields[k].type is FieldType.LINES
    ]


def _answer(kind: ChecklistKind, value: Any, unit: str | None) -> str:
    if value is None or value == "":
        return ""
    if kind is ChecklistKind.YES_NO:
        return _("合格") if value is True else _("不合格") if value is False else str(value)
    if kind is ChecklistKind.MEASUREMENT:
        return f"{value}{unit or ''}"
    if kind is ChecklistKind.DOCUMENT:
        return {
            "received": _("已收"),
            "missing": _("缺少"),
            "inconsistent": _("不一致"),
        }.get(str(value), str(value))
    return str(value)


def _checks(kind: DocKind, case: Case, language: str) -> list[Fact]:
    if not kind.checklist_step:
        return []
    step = definition_of(case.procedure).steps.get(kind.checklist_step)
    if step is None:
        return []
    answers = (case.records.get(CHECKS_KEY) or {}).get(kind.checklist_step) or {}
    return [
        Fact(i.key, i.label.get(language), _answer(i.type, answers.get(i.key), i.unit))
        for i in step.checklist
    ]


def _workshop(kind: DocKind, case: Case) -> dict[str, Any]:
    if not kind.workshop:
        return {}
    return {
        "appointment": Appointment.objects.filter(case=case).order_by("-starts_at").first(),
        "jobs": list(
            RepairJob.objects.filter(case=case)
            .select_related("technician__staff")
            .order_by("planned_start", "pk")
        ),
        "parts": list(
            PartReservation.objects.filter(case=case).select_related("part").order_by("pk")
        ),
    }


def _data_url(signature: Signature) -> str:
    with signature.attachment.file.open("rb") as f:
        content = f.read()
    return "data:image/png;base64," + base64.b64encode(content).decode("ascii")


def latest_signature(kind: DocKind, document: Document | None) -> Signature | None:
    if document is None or not kind.customer_signs:
        return None
    return document.signatures.select_related("attachment").order_by("-signed_at", "-pk").first()


def _boxes(kind: DocKind, document: Document | None, language: str) -> list[Box]:
    latest = latest_signature(kind, document)
    out = []
    for i, label in enumerate(kind.signatures):
        if i == 0 and latest is not None:
            out.append(
                Box(label.get(language), _data_url(latest), latest.signer_name, latest.signed_at)
            )
        else:
            out.append(Box(label.get(language)))
    return out


def _name_of(actor: Actor) -> str:
    if actor.user is None:
        return ""
    username = actor.user.get_username()
    return _person_names({username}).get(username, username)


def sheet(
    actor: Actor, case: Case, kind: DocKind, document: Document | None, *, copy: bool, language: str
) -> Sheet:
    """What the document prints for this reader (personal values as privacy allows)."""
    procedure = definition_of(case.procedure)
    access = privacy.case_access(actor, case)
    data = privacy.case_data(actor, case, procedure)
    customer = case.customer
    with translation.override(language):
        return Sheet(
            kind=kind,
            title=kind.name.get(language),
            number=document.number if document else "",
            copy=copy,
            case=case,
            site_name=case.site.name,
            customer=customer.name if customer else "",
            phone=privacy.customer_value(customer, "phone", access) if customer else "",
            asset=case.asset.label if case.asset else "",
            facts=_facts(kind, case, data, language),
            tables=_tables(kind, case, data, language),
            checks=_checks(kind, case, language),
            workshop=_workshop(kind, case),
            boxes=_boxes(kind, document, language),
            note=kind.note.get(language) if kind.note else "",
            printed_by=_name_of(actor),
            printed_at=timezone.now(),
            pages=[p.get(language) for p in kind.parts] or [""],
        )


def html(s: Sheet, language: str) -> str:
    with translation.override(language):
        return render_to_string(
            [f"documents/{s.kind.key}.html", "documents/base.html"],
            {"s": s, "fonts": FONTS.as_uri(), "language": language},
        )


def document(s: Sheet, language: str) -> Any:
    """The laid-out WeasyPrint document (its pages' boxes hold the text the PDF shows)."""
    weasyprint = renderer()
    return weasyprint.HTML(string=html(s, language), base_url=str(FONTS)).render()


def pdf(s: Sheet, language: str) -> bytes:
    return bytes(document(s, language).write_pdf())
