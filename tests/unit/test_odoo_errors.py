"""Error mapping from the literal envelopes of the Odoo external API reference (§1.1, §1.2, §1.6,
§2), sanitizing (debug, tracebacks) and secret redaction."""

from __future__ import annotations

import xmlrpc.client

import pytest

from mcp_servers.odoo import (
    AccessDenied,
    AccessError,
    EndpointNotFound,
    MissingError,
    OdooConnectionError,
    OdooError,
    ServerError,
    UserError,
    ValidationError,
    from_json2_error,
    from_jsonrpc_error,
    from_xmlrpc_fault,
    redact,
    strip_tracebacks,
)

SECRET = "b2e80f8e248c74280aa7d7e2456436e05cb6fe51"
DEBUG = (
    "Traceback (most recent call last):\n"
    '  File "/opt/odoo/odoo/http.py", line 1770, in _serve_db\n'
    "    return service_model.retrying(self._serve_ir_http, self.env)\n"
    '  File "/opt/odoo/odoo/models.py", line 5805, in _check_exists\n'
    "    raise MissingError(message)\n"
    "odoo.exceptions.MissingError: Record does not exist or has been deleted."
)
MISSING_MSG = "Record does not exist or has been deleted.\n(Record: res.partner(999999,), User: 2)"


def jsonrpc_envelope(name: str, message: str, *, error_message: str = "Odoo Server Error"):
    """The literal JSON-RPC error envelope of reference §1.1."""
    return {
        "jsonrpc": "2.0",
        "id": 29,
        "error": {
            "code": 200,
            "message": error_message,
            "data": {
                "name": name,
                "debug": DEBUG,
                "message": message,
                "arguments": [message],
                "context": {},
            },
        },
    }


# --- JSON-RPC -------------------------------------------------------------------------------

JSONRPC_CASES = [
    ("odoo.exceptions.AccessDenied", "Access Denied", AccessDenied),
    ("odoo.exceptions.AccessError", "Access to unauthorized or invalid companies.", AccessError),
    ("odoo.exceptions.MissingError", MISSING_MSG, MissingError),
    (
        "odoo.exceptions.ValidationError",
        'Barcode(s) already assigned:\n\n- Barcode "PROBE-BC-1" already assigned to product(s): x',
        ValidationError,
    ),
    (
        "odoo.exceptions.UserError",
        "You can not delete a sent quotation or a confirmed sales order. You must first cancel it.",
        UserError,
    ),
    ("odoo.exceptions.RedirectWarning", "Configure a journal first.", UserError),
    ("builtins.ValueError", "Invalid field 'no_such_field' on model 'res.partner'", ServerError),
    (
        "builtins.TypeError",
        "BaseModel.search() got an unexpected keyword argument 'count'",
        ServerError,
    ),
    (
        "builtins.AttributeError",
        "The method 'no_such_method' does not exist on the model 'res.partner'",
        ServerError,
    ),
    ("psycopg2.OperationalError", 'database "nope" does not exist', ServerError),
    ("builtins.KeyError", "'nope'", ServerError),
]


@pytest.mark.parametrize(("name", "message", "cls"), JSONRPC_CASES)
def test_jsonrpc_error_maps_by_data_name(name, message, cls):
    exc = from_jsonrpc_error(jsonrpc_envelope(name, message)["error"])
    assert type(exc) is cls
    assert exc.message == message  # Odoo's own text is kept verbatim
    assert exc.odoo_name == name
    assert exc.code == 200
    assert "Traceback" not in str(exc) and "/opt/odoo" not in str(exc)  # debug never used


def test_jsonrpc_error_ignores_rebranded_error_message():
    error = jsonrpc_envelope("odoo.exceptions.AccessError", "nope",
                             error_message="Acme ERP Server Error")["error"]
    exc = from_jsonrpc_error(error)
    assert isinstance(exc, AccessError)
    assert exc.message == "nope"


def test_jsonrpc_error_falls_back_to_arguments_then_error_message():
    error = {"code": 200, "message": "Odoo Server Error",
             "data": {"name": "odoo.exceptions.UserError", "arguments": ["from args"]}}
    assert from_jsonrpc_error(error).message == "from args"
    bare = {"code": 100, "message": "Odoo Session Expired"}
    exc = from_jsonrpc_error(bare)
    assert type(exc) is ServerError
    assert exc.message == "Odoo Session Expired"
    assert exc.code == 100


def test_jsonrpc_error_redacts_secret_and_strips_traceback_in_message():
    message = f"Bad key {SECRET} refused\n{DEBUG}"
    exc = from_jsonrpc_error(jsonrpc_envelope("odoo.exceptions.AccessDenied", message)["error"],
                             secret=SECRET)
    assert SECRET not in exc.message and SECRET not in repr(exc)
    assert "Bad key *** refused" in exc.message
    assert "/opt/odoo" not in exc.message


def test_hierarchy_mirrors_odoo():
    for cls in (AccessDenied, AccessError, MissingError, ValidationError):
        assert issubclass(cls, UserError)
    assert issubclass(UserError, OdooError)
    assert not issubclass(ServerError, UserError)
    assert issubclass(EndpointNotFound, OdooConnectionError)
    assert issubclass(OdooConnectionError, OdooError)
    assert not issubclass(OdooConnectionError, UserError)
    assert OdooConnectionError("x").retryable is True
    assert EndpointNotFound("x").retryable is False


# --- XML-RPC --------------------------------------------------------------------------------

FAULT_XML = """<?xml version='1.0'?>
<methodResponse><fault><value><struct>
<member><name>faultCode</name><value><int>3</int></value></member>
<member><name>faultString</name><value><string>Access Denied</string></value></member>
</struct></value></fault></methodResponse>"""

CODE1_TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/opt/odoo/odoo/addons/base/controllers/rpc.py", line 153, in xmlrpc_2\n'
    "    response = self._xmlrpc(service)\n"
    '  File "/opt/odoo/odoo/models.py", line 3600, in read\n'
    "    raise ValueError(\"Invalid field %r on model %r\" % (name, self._name))\n"
    "ValueError: Invalid field 'no_such_field' on model 'res.partner'\n"
)


def test_xmlrpc_fault_code_3_from_literal_response():
    with pytest.raises(xmlrpc.client.Fault) as info:
        xmlrpc.client.loads(FAULT_XML)
    exc = from_xmlrpc_fault(info.value)
    assert type(exc) is AccessDenied
    assert exc.message == "Access Denied"
    assert exc.code == 3


@pytest.mark.parametrize(
    ("code", "text", "cls"),
    [
        (4, "You are not allowed to modify 'User' (res.users) records.", AccessError),
        (4, "Private methods (such as _x) cannot be called remotely.", AccessError),
        (3, "Access Denied", AccessDenied),
        (2, "You can not delete a sent quotation or a confirmed sales order.", UserError),
        (2, MISSING_MSG, MissingError),
        (2, "The operation cannot be completed: another model requires the record",
         ValidationError),
        (2, "Object no.such.model doesn't exist", UserError),
    ],
)
def test_xmlrpc_fault_codes(code, text, cls):
    exc = from_xmlrpc_fault(xmlrpc.client.Fault(code, text))
    assert type(exc) is cls
    assert exc.message == text
    assert exc.code == code


def test_xmlrpc_code_1_keeps_only_last_traceback_line():
    exc = from_xmlrpc_fault(xmlrpc.client.Fault(1, CODE1_TRACEBACK))
    assert type(exc) is ServerError
    assert exc.message == "ValueError: Invalid field 'no_such_field' on model 'res.partner'"
    assert exc.odoo_name == "builtins.ValueError"
    assert exc.code == 1


def test_xmlrpc_code_1_qualified_exception_name():
    text = "Traceback (most recent call last):\n  File x\npsycopg2.OperationalError: db down"
    exc = from_xmlrpc_fault(xmlrpc.client.Fault(1, text))
    assert exc.message == "psycopg2.OperationalError: db down"
    assert exc.odoo_name == "psycopg2.OperationalError"


def test_xmlrpc_fault_redacts_secret():
    fault = xmlrpc.client.Fault(1, f"{CODE1_TRACEBACK}TypeError: bad arg {SECRET}")
    exc = from_xmlrpc_fault(fault, secret=SECRET)
    assert exc.message == "TypeError: bad arg ***"
    code2 = from_xmlrpc_fault(xmlrpc.client.Fault(2, f"key {SECRET}"), secret=SECRET)
    assert code2.message == "key ***"


# --- JSON-2 ---------------------------------------------------------------------------------


def json2_body(name: str, message: str, status: int | None = None) -> dict:
    """The literal JSON-2 error body of reference §1.6."""
    args = [message, status] if status else [message]
    return {"name": name, "message": message, "arguments": args, "context": {},
            "debug": DEBUG}


@pytest.mark.parametrize(
    ("status", "name", "message", "cls"),
    [
        (401, "werkzeug.exceptions.Unauthorized", "Invalid apikey", AccessDenied),
        (403, "odoo.exceptions.AccessError", "Access to unauthorized or invalid companies.",
         AccessError),
        (404, "odoo.exceptions.MissingError", MISSING_MSG, MissingError),
        (422, "odoo.exceptions.ValidationError", "Barcode(s) already assigned", ValidationError),
        (422, "odoo.exceptions.UserError", "Cannot create an invoice.", UserError),
        (404, "werkzeug.exceptions.NotFound", "the model 'x' does not exist", ServerError),
        (422, "werkzeug.exceptions.UnprocessableEntity",
         "cannot call res.partner.search with ids", ServerError),
        (500, "builtins.ValueError", "Invalid leaf ('name', 'bogus_op', 'x')", ServerError),
    ],
)
def test_json2_errors(status, name, message, cls):
    exc = from_json2_error(status, json2_body(name, message, status))
    assert type(exc) is cls
    assert exc.message == message
    assert exc.code == status
    assert exc.odoo_name == name
    assert "Traceback" not in exc.message


def test_json2_error_without_name_uses_status_and_string_body():
    assert type(from_json2_error(401, None)) is AccessDenied
    assert type(from_json2_error(403, "forbidden")) is AccessError
    exc = from_json2_error(500, "boom")
    assert type(exc) is ServerError and exc.message == "boom"
    assert from_json2_error(502, None).message == "Odoo answered HTTP 502"


def test_json2_error_redacts_secret():
    exc = from_json2_error(401, json2_body("werkzeug.exceptions.Unauthorized",
                                           f"Invalid apikey {SECRET}"), secret=SECRET)
    assert exc.message == "Invalid apikey ***"


# --- helpers --------------------------------------------------------------------------------


def test_strip_tracebacks_keeps_surrounding_text_and_final_line():
    text = f"Before\n{DEBUG}\nAfter"
    cleaned = strip_tracebacks(text)
    assert "Traceback" not in cleaned and '  File "' not in cleaned
    assert cleaned.startswith("Before")
    assert cleaned.endswith("After")
    assert "odoo.exceptions.MissingError: Record does not exist or has been deleted." in cleaned


def test_strip_tracebacks_handles_chained_exceptions():
    chained = (
        "Traceback (most recent call last):\n  File \"a.py\", line 1, in f\n    x()\n"
        "KeyError: 'a'\n\n"
        "During handling of the above exception, another exception occurred:\n\n"
        "Traceback (most recent call last):\n  File \"b.py\", line 2, in g\n    y()\n"
        "ValueError: b"
    )
    cleaned = strip_tracebacks(chained)
    assert "File" not in cleaned and "During handling" not in cleaned
    assert cleaned.splitlines()[-1] == "ValueError: b"


def test_redact_longest_first_and_ignores_empty():
    assert redact("pw=abc123 short=abc", ["abc", "abc123"]) == "pw=*** short=***"
    assert redact("nothing", ["", None]) == "nothing"
