"""Positional ``execute_kw`` arguments → JSON-2 named parameters (Odoo 19).

Why: every caller (and the JSON-RPC/XML-RPC transports) speaks ``execute_kw`` with positional
``args``, but ``POST /json/2/<model>/<method>`` takes ``ids`` plus every parameter *by name*
(reference §1.6). This table is the one place that knows the ORM signatures of reference §3
(with 19's rename of ``name_search``'s ``args`` to ``domain``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple


class MethodSignature(NamedTuple):
    """How a method receives its positional args.

    ``on_records``: ``args[0]`` is the list of record ids (non-``@api.model`` methods).
    ``params``: names of the remaining positional parameters, in order.
    """

    on_records: bool
    params: tuple[str, ...]


ORM_SIGNATURES: dict[str, MethodSignature] = {
    # @api.model methods: args are passed as-is, no ids.
    "search": MethodSignature(False, ("domain", "offset", "limit", "order")),
    "search_count": MethodSignature(False, ("domain", "limit")),
    "search_read": MethodSignature(False, ("domain", "fields", "offset", "limit", "order")),
    "fields_get": MethodSignature(False, ("allfields", "attributes")),
    "create": MethodSignature(False, ("vals_list",)),
    "name_search": MethodSignature(False, ("name", "domain", "operator", "limit")),
    "name_create": MethodSignature(False, ("name",)),
    "default_get": MethodSignature(False, ("fields_list",)),
    "read_group": MethodSignature(
        False, ("domain", "fields", "groupby", "offset", "limit", "orderby", "lazy")
    ),
    "context_get": MethodSignature(False, ()),
    # record methods: args[0] is ids.
    "read": MethodSignature(True, ("fields", "load")),
    "write": MethodSignature(True, ("vals",)),
    "unlink": MethodSignature(True, ()),
    "copy": MethodSignature(True, ("default",)),
    "action_confirm": MethodSignature(True, ()),
}


def _is_ids(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, Sequence) and not isinstance(value, str) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    )


def _normalize_ids(value: Any) -> list[int]:
    return [value] if isinstance(value, int) else list(value)


def to_json2_body(
    method: str, args: Sequence[Any] | None, kwargs: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Build the JSON-2 request body for ``method(*args, **kwargs)``.

    Methods not in :data:`ORM_SIGNATURES` are treated as record methods when ``args[0]`` looks
    like ids (``action_post``, ``action_cancel``, wizard buttons...) and as model methods when
    there are no args; any further positional argument cannot be named without the signature,
    so it is refused with a ``TypeError`` telling the caller to pass it by keyword.
    ``kwargs["context"]`` becomes the body's ``context``.
    """
    args = list(args or [])
    body: dict[str, Any] = {}
    signature = ORM_SIGNATURES.get(method)
    if signature is None:
        if not args:
            signature = MethodSignature(False, ())
        elif _is_ids(args[0]):
            signature = MethodSignature(True, ())
        else:
            raise TypeError(
                f"JSON-2 needs named parameters: cannot map positional args of '{method}'; "
                "pass them as keyword arguments"
            )
    if signature.on_records:
        if not args:
            raise TypeError(f"'{method}' is a record method: args[0] must be the record ids")
        if not _is_ids(args[0]):
            raise TypeError(f"'{method}': args[0] must be a list of record ids")
        body["ids"] = _normalize_ids(args[0])
        args = args[1:]
    if len(args) > len(signature.params):
        raise TypeError(
            f"JSON-2 needs named parameters: '{method}' got {len(args)} positional args, "
            f"only {len(signature.params)} can be named; pass the rest as keyword arguments"
        )
    body.update(zip(signature.params, args, strict=False))
    for key, value in (kwargs or {}).items():
        if key in body:
            raise TypeError(f"'{method}' got multiple values for argument '{key}'")
        body[key] = value
    return body
