"""The built-in questionnaires (YAML files in `library/`) into the database, like the procedures.

A definition whose content changed is stored as a new current version; rounds keep the version
they were opened on, so answers keep their wording. Nothing is stored if any file has a problem.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction

from fuwu.surveys.form import FormSpec, parse
from fuwu.surveys.models import Question, Questionnaire, Section


@dataclass
class LoadResult:
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read(dirs: list[Path] | None = None) -> tuple[list[tuple[Path, FormSpec, str]], list[str]]:
    """Every definition with its checksum, and every problem (file, place, what)."""
    found: list[tuple[Path, FormSpec, str]] = []
    problems: list[str] = []
    keys: dict[str, Path] = {}
    for directory in dirs or [Path(d) for d in settings.FUWU_SURVEY_DIRS]:
        for path in sorted(Path(directory).glob("*.yaml")):
            try:
                raw = yaml.safe_load(path.read_text(encoding="utf-8"))
            except yaml.YAMLError as exc:
                problems.append(f"{path.name}: {exc}")
                continue
            spec, errors = parse(raw, path.name)
            problems.extend(errors)
            if spec is None:
                continue
            if spec.key in keys:
                problems.append(f"{path.name}: key {spec.key!r} also in {keys[spec.key].name}")
            keys[spec.key] = path
            checksum = hashlib.sha256(
                json.dumps(raw, sort_keys=True, ensure_ascii=False).encode()
            ).hexdigest()
            found.append((path, spec, checksum))
    return found, problems


def store(spec: FormSpec, *, source: str = "", checksum: str = "") -> Questionnaire:
    """One questionnaire version from a spec (the caller holds the transaction)."""
    current = Questionnaire.objects.filter(key=spec.key, is_current=True).first()
    number = 1
    if current is not None:
        number = current.version + 1
        Questionnaire.objects.filter(pk=current.pk).update(is_current=False)
    q = Questionnaire.objects.create(
        key=spec.key,
        version=number,
        name_zh=spec.zh,
        name_en=spec.en,
        description_zh=spec.description_zh,
        description_en=spec.description_en,
        follow_up_procedure=spec.follow_up_procedure,
        source=source,
        checksum=checksum,
    )
    sections = {
        s.key: Section.objects.create(
            questionnaire=q, key=s.key, position=i, name_zh=s.zh, name_en=s.en
        )
        for i, s in enumerate(spec.sections)
    }
    Question.objects.bulk_create(
        [
            Question(
                questionnaire=q,
                section=sections[item.section],
                key=item.key,
                position=i,
                kind=item.kind,
                label_zh=item.zh,
                label_en=item.en,
                required=item.required,
                options=[{"value": o.value, "zh": o.zh, "en": o.en} for o in item.options],
                low_at=item.low_at,
                show_if_question=item.show_if or "",
                show_if_values=list(item.show_values),
            )
            for i, item in enumerate(spec.questions)
        ]
    )
    return q


def load_library(dirs: list[Path] | None = None) -> LoadResult:
    """Store each valid definition whose content changed as a new current version."""
    found, problems = read(dirs)
    result = LoadResult(problems=problems)
    if problems:
        return result
    with transaction.atomic():
        for path, spec, checksum in found:
            current = Questionnaire.objects.filter(key=spec.key, is_current=True).first()
            if current is not None and current.checksum == checksum:
                result.unchanged.append(spec.key)
                continue
            store(spec, source=path.name, checksum=checksum)
            result.created.append(spec.key)
    return result
