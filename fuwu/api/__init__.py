"""The REST API under /api/ (`fuwu.api.root`).

One response model per response type, not per operation and status. Ninja wraps each type an
operation declares (`response={200: CaseOut, 404: ErrorOut, …}`) in a pydantic model of its own,
`NinjaResponseSchema` with one field `response`, for every status code of every operation, and
pydantic builds a validator and a serializer for each: the API's 128 operations made 832 of
them (643 for `ErrorOut` alone, which every endpoint declares for its error statuses), about
8 KB of every process's memory each. The wrapper depends on the type alone (it is built from it
and nothing else, and holds no state), so one per type serves every operation that declares it;
the OpenAPI document is the same. This runs before any router module, which are all in this
package, builds its operations; `fuwu/api/tests/test_api_response_models.py` holds it.
"""

from __future__ import annotations

from typing import Any

from ninja.operation import Operation

_build_response_model = Operation._create_response_model
_response_models: dict[Any, Any] = {}


def _shared_response_model(self: Operation, response_param: Any) -> Any:
    try:
        return _response_models[response_param]
    except KeyError:
        model = _response_models[response_param] = _build_response_model(self, response_param)
        return model
    except TypeError:  # an unhashable declaration: its own model, as ninja makes it
        return _build_response_model(self, response_param)


Operation._create_response_model = _shared_response_model  # type: ignore[method-assign]
