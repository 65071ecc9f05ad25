"""Checks recorded simulator traffic against the OpenAPI spec subset with openapi-core.

Usage: python scripts/validate_traffic.py SPEC.yaml TRAFFIC.jsonl

TRAFFIC.jsonl is what the simulator appends when KEYSHARE_SIM_RECORD names it (one exchange
per line). Every request and response of an operation the spec describes is validated
(parameters, bodies, status, content type); a response the spec subset does not describe is
counted by kind and must be one REFERENCE.md describes instead (docs/simulator.md lists them).
Exits non-zero on the first kind of mismatch, printing every mismatch found.
"""

import base64
import collections
import json
import sys
import urllib.parse

from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

HOST = "https://subdomain.okta.com"

# Statuses the spec subset does not describe per operation, with the REFERENCE section that
# does: they are checked for Okta's error shape here instead.
OUTSIDE_SPEC = {
    "metadata": "SAML IdP metadata (issue 3, item 1; not in the spec subset)",
    401: "401 E0000011 (REFERENCE §7, §9)",
    405: "405 E0000022 (REFERENCE §7)",
    411: "411 Length Required (REFERENCE §7)",
    500: "injected 500 E0000009 (REFERENCE §7)",
    502: "dropped connection, never delivered",
    503: "injected 503 (REFERENCE §10.2)",
    504: "injected 504 (REFERENCE §10.2)",
}
ERROR_CODES = {401: {"E0000011"}, 405: {"E0000022"}, 500: {"E0000009"}, 503: {"E0000009"}, 504: {"E0000009"}}
# listApplications documents no 400, but a bad filter or limit needs one (docs/simulator.md).
LIST_400 = "400 for an unsupported filter or a non-numeric limit (docs/simulator.md)"


def path_parameters(route, path):
    """`{appId}`-style parameters of `route`, with their values in `path`."""
    names = route.strip("/").split("/")
    values = path.strip("/").split("/")
    return {name[1:-1]: urllib.parse.unquote(value)
            for name, value in zip(names, values) if name.startswith("{")}


def documented_statuses(spec, route, method):
    operation = spec["paths"].get(route, {}).get(method.lower(), {})
    return {int(status) for status in operation.get("responses", {}) if status.isdigit()}


def check_outside_spec(entry):
    """Problems with a response the spec subset does not describe, or None if it is fine."""
    status = entry["status"]
    if entry["route"] == "/api/v1/apps" and status == 400:
        return check_error_code(entry, {"E0000031", "E0000001"})
    if status not in OUTSIDE_SPEC:
        return f"status {status} is neither in the spec nor described by REFERENCE"
    codes = ERROR_CODES.get(status)
    return None if codes is None else check_error_code(entry, codes)


def check_error_code(entry, codes):
    status = entry["status"]
    try:
        body = json.loads(entry["responseBody"] or "")
    except ValueError:
        return f"status {status}: the body is not JSON"
    if body.get("errorCode") not in codes:
        return f"status {status}: errorCode {body.get('errorCode')!r}, expected one of {sorted(codes)}"
    return None


def exchange(entry):
    """openapi-core's view of one recorded exchange."""
    request_body = entry["requestBody"]
    request = MockRequest(
        HOST,
        entry["method"].lower(),
        entry["path"],
        path_pattern=entry["route"],
        args=dict(urllib.parse.parse_qsl(entry["query"], keep_blank_values=True)),
        view_args=path_parameters(entry["route"], entry["path"]),
        data=request_body.encode() if request_body else None,
        content_type=(entry["requestContentType"] or "application/json").split(";")[0],
    )
    response = MockResponse(
        (entry["responseBody"] or "").encode(),
        status_code=entry["status"],
        content_type=(entry["responseContentType"] or "").split(";")[0] or None,
    )
    return request, response


def check_pkcs10(spec, entry):
    """openapi-core hands non-JSON bodies to the schema as bytes, which no `type: string`
    schema accepts; so check a PKCS#10 answer by hand: declared, and base64 DER."""
    responses = spec["paths"][entry["route"]][entry["method"].lower()]["responses"]
    content = responses[str(entry["status"])].get("content", {})
    if "application/pkcs10" not in content:
        raise ValueError("application/pkcs10 is not declared for this status")
    der = base64.b64decode(entry["responseBody"], validate=True)
    if not der.startswith(b"\x30"):
        raise ValueError("the body is not base64 of a DER SEQUENCE")


def only_read_only_fields(error):
    errors = getattr(getattr(error, "__cause__", None), "schema_errors", None) or ()
    return bool(errors) and all("Tried to write read-only property" in str(e.message) for e in errors)


def describe(error):
    detail = getattr(error, "__cause__", None) or error
    return f"{type(error).__name__}: {str(detail)[:500]}"


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: validate_traffic.py SPEC.yaml TRAFFIC.jsonl")
    openapi = OpenAPI.from_file_path(sys.argv[1])
    spec = openapi.spec.read_value() if hasattr(openapi.spec, "read_value") else openapi.spec.contents()
    validated, outside, rejected, problems = 0, collections.Counter(), collections.Counter(), []
    with open(sys.argv[2], encoding="utf-8") as traffic:
        for number, line in enumerate(traffic, 1):
            entry = json.loads(line)
            where = f"line {number}: {entry['method']} {entry['path']}?{entry['query']} -> {entry['status']}"
            if entry["route"].endswith("/sso/saml/metadata"):
                outside[OUTSIDE_SPEC["metadata"]] += 1
                continue
            if entry["status"] not in documented_statuses(spec, entry["route"], entry["method"]):
                problem = check_outside_spec(entry)
                if problem:
                    problems.append(f"{where}: {problem}")
                kind = LIST_400 if (entry["route"], entry["status"]) == ("/api/v1/apps", 400) else None
                outside[kind or OUTSIDE_SPEC.get(entry["status"], "unknown")] += 1
                continue
            request, response = exchange(entry)
            try:
                if (entry["responseContentType"] or "").startswith("application/pkcs10"):
                    check_pkcs10(spec, entry)
                elif entry["status"] == 204:
                    # openapi-core wants data even for `content: {}`; No Content must be empty.
                    if entry["responseBody"]:
                        raise ValueError("a 204 answer has a body")
                else:
                    openapi.validate_response(request, response)
                validated += 1
            except Exception as error:  # openapi-core raises many types; report them all
                problems.append(f"{where}: response: {describe(error)}")
            try:
                openapi.validate_request(request)
            except Exception as error:
                if only_read_only_fields(error):
                    # Sending the whole app back is what REFERENCE §4 tells clients to do;
                    # Okta ignores the system fields, and so does the simulator.
                    rejected["whole-app PUT echoing read-only fields (ignored, REFERENCE §4)"] += 1
                elif entry["status"] < 400:
                    problems.append(f"{where}: accepted a request the spec forbids: {describe(error)}")
                else:
                    rejected[f"{type(error).__name__}, rejected with {entry['status']}"] += 1
    print(f"validated against the spec: {validated} exchanges")
    for kind, count in sorted(outside.items()):
        print(f"outside the spec subset, checked against REFERENCE: {count} x {kind}")
    for kind, count in sorted(rejected.items()):
        print(f"requests outside the spec, answered as documented: {count} x {kind}")
    for problem in problems:
        print(f"MISMATCH {problem}")
    if problems:
        raise SystemExit(f"{len(problems)} mismatches")
    if validated == 0:
        raise SystemExit("no exchange was validated: is the traffic file empty?")


if __name__ == "__main__":
    main()
