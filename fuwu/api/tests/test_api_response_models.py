"""Every operation declaring a response type uses the one wrapper model of that type
(`fuwu/api/__init__.py`): ninja's own way built 832 wrappers, each with a pydantic validator
and serializer, about 10 MB of every gunicorn worker."""

from __future__ import annotations

from typing import Any

from ninja.constants import NOT_SET

from fuwu.api.common import ErrorOut
from fuwu.api.root import api


def _response_models() -> list[tuple[int, Any]]:
    return [
        (status, model)
        for _prefix, router in api._routers
        for view in router.path_operations.values()
        for operation in view.operations
        for status, model in operation.response_models.items()
        if model is not None and model is not NOT_SET
    ]


def test_one_error_model_serves_every_operation() -> None:
    errors = [
        m for _s, m in _response_models() if m.model_fields["response"].annotation is ErrorOut
    ]
    assert len(errors) > 500  # every endpoint declares its error statuses
    assert len({id(m) for m in errors}) == 1


def test_one_response_model_per_declared_type() -> None:
    models = {id(m): m for _s, m in _response_models()}
    types = {m.model_fields["response"].annotation for m in models.values()}
    assert len(models) == len(types)


def test_a_shared_model_still_validates_and_serializes() -> None:
    model = next(
        m for _s, m in _response_models() if m.model_fields["response"].annotation is ErrorOut
    )
    body = {"code": "not_found", "message": "no", "details": {"what": "case"}}
    assert model.model_validate({"response": body}).model_dump()["response"] == body
