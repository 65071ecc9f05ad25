"""Checks of recorded exchanges against docs/okta-api.md: the rules the OpenAPI
subset does not express (headers, exact error codes and summaries, identifier and timestamp
shapes, Link headers) on every exchange, and the whole contract of the responses the subset
does not describe: 401, 405, undocumented statuses such as injected 5xx, `/oauth2/v1/token`
and the simulator's own `/__sim/` routes. Each problem names the docs/okta-api.md section it breaks."""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from urllib.parse import parse_qsl, urlsplit
from xml.etree import ElementTree

from .traffic import Exchange

# §7: status -> errorCode -> exact errorSummary (None: only a prefix is fixed, see PREFIXES).
ERROR_CODES: dict[int, dict[str, str | None]] = {
    400: {
        "E0000001": None,
        "E0000003": "The request body was not well-formed.",
        "E0000028": "The request is missing a required parameter.",
    },
    401: {
        "E0000011": "Invalid token provided",
        "E0000004": "Authentication failed",
    },
    403: {"E0000006": "You do not have permission to perform the requested action"},
    404: {"E0000007": None},
    405: {"E0000022": "The endpoint does not support the provided HTTP method"},
    429: {"E0000047": "API call exceeded rate limit due to too many requests."},
    500: {"E0000009": "Internal Server Error"},
}
PREFIXES = {"E0000001": "Api validation failed: ", "E0000007": "Not found: "}
# Not in the spec's error table, but recorded from a real org for an unsupported filter on the
# app list (terraform-provider-okta#2251: `filter=name sw "Atlassian"` -> 400 E0000031 with
# `errorCauses: []`): allowed there only, and exactly in that form.
LIST_FILTER_ERROR = ("E0000031", "Invalid search criteria.")
# Not in §7's table either, but recorded from a real org for an unknown `after`
# cursor on the app list (okta-sdk-python cassette
# test_list_applications_pagination_with_after, interaction 6), with one cause.
LIST_PAGING_ERROR = ("E0000029", "Invalid paging request.", [{"errorSummary": "Invalid cursor."}])
# Injected outages answer as a real one would: any 5xx carries Okta's E0000009 body
# (docs/okta-api.md §7; docs/simulator.md, faults).
SERVER_ERROR = ("E0000009", "Internal Server Error")

ERROR_ID = re.compile(r"^oae[A-Za-z0-9_-]{22}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$")  # §8
APP_ID = re.compile(r"^0oa[A-Za-z0-9]{17}$")  # §8
KID = re.compile(r"^[A-Za-z0-9_-]{43}$")  # §1, §5.1
RATE_HEADERS = ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset")
OAUTH_ERRORS = {
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "invalid_dpop_proof",
    "use_dpop_nonce",
}
SCOPES = {"okta.apps.read", "okta.apps.manage"}  # §9
SAML_MD = "urn:oasis:names:tc:SAML:2.0:metadata"
XMLDSIG = "http://www.w3.org/2000/09/xmldsig#"
LINK = re.compile(r'^<([^>]+)>;\s*rel="([a-z]+)"$')


def kind(exchange: Exchange) -> str:
    """Which contract an exchange falls under: `sim`, `token`, `dropped` or `api`."""
    if exchange.path.startswith("/__sim/"):
        return "sim"
    if exchange.path == "/oauth2/v1/token":
        return "token"
    if exchange.status == 502 and not exchange.response_body:
        # The `drop` fault cuts the connection; the router's placeholder 502 never leaves
        # the process (crates/okta-sim/src/faults.rs), so no client ever sees this response.
        return "dropped"
    return "api"


def check(exchange: Exchange, operation_id: str | None, api_route: bool) -> list[str]:
    """Every docs/okta-api.md problem of one exchange. `operation_id`: the spec operation of its
    method and path, if any; `api_route`: the path is one of the spec's app routes, whatever
    the method (so rate-limit headers are due)."""
    problems = []
    if not exchange.header("x-okta-request-id"):
        problems.append("§7: no X-Okta-Request-Id header")
    if exchange.body_error:
        problems.append(f"the response body failed while being sent: {exchange.body_error}")
    match kind(exchange):
        case "sim":
            problems += _sim_route(exchange)
        case "token":
            problems += _token(exchange)
        case "api" if exchange.status == 411:
            problems += _length_required(exchange)
        case "api":
            if api_route:
                problems += _rate_headers(exchange)
            if exchange.status >= 400:
                problems += _okta_error(exchange)
            else:
                problems += _success(exchange, operation_id)
    return problems


def _json(exchange: Exchange) -> tuple[object, list[str]]:
    if exchange.content_type() != "application/json":
        return None, [
            f"§7: Content-Type is {exchange.header('content-type')!r}, not application/json"
        ]
    try:
        return exchange.json_body(), []
    except ValueError as error:
        return None, [f"body is not JSON: {error}"]


def _length_required(exchange: Exchange) -> list[str]:
    """§7: a POST or PUT without Content-Length gets 411; its body (and so its headers, which
    a front end would send) is unconfirmed, so only the cause is checked."""
    sized = {"content-length", "transfer-encoding"} & exchange.request_headers.keys()
    if exchange.method not in ("POST", "PUT") or sized:
        return [f"§7: 411 for a {exchange.method} that has {sorted(sized) or 'no body'}"]
    return []


def _okta_error(exchange: Exchange) -> list[str]:
    """§7 error object, with a code §7 lists for the status and its exact summary."""
    body, problems = _json(exchange)
    if problems:
        return problems
    if not isinstance(body, dict):
        return [f"§7: error body is not an object: {body!r}"]
    for member in ("errorCode", "errorSummary", "errorLink", "errorId"):
        if not isinstance(body.get(member), str):
            problems.append(f"§7: {member} missing or not a string")
    causes = body.get("errorCauses")
    if not isinstance(causes, list) or not all(
        isinstance(c, dict) and isinstance(c.get("errorSummary"), str) for c in causes
    ):
        problems.append(f"§7: errorCauses is not a list of {{errorSummary}}: {causes!r}")
    if problems:
        return problems
    code, summary = body["errorCode"], body["errorSummary"]
    if body["errorLink"] != code:
        problems.append(f"§7: errorLink {body['errorLink']!r} differs from errorCode {code!r}")
    if not ERROR_ID.match(body["errorId"]):
        problems.append(f"§7: errorId {body['errorId']!r} is not 'oae' + 22 characters")
    if exchange.status >= 500:
        if (code, summary) != SERVER_ERROR:
            problems.append(f"§7: {exchange.status} carries {code} {summary!r}, not E0000009")
    elif (code, summary) == LIST_FILTER_ERROR:
        # The two lists that take a filter: apps (§2) and the System Log (§12).
        filtered = exchange.path in ("/api/v1/apps", "/api/v1/logs")
        if not (exchange.status == 400 and exchange.method == "GET" and filtered):
            problems.append(
                f"E0000031 on {exchange.method} {exchange.path}: only the app list and the "
                "System Log answer it"
            )
        elif body["errorCauses"]:
            problems.append("E0000031 carries errorCauses; the recorded real answer has none")
    elif (code, summary) == LIST_PAGING_ERROR[:2]:
        if not (exchange.status == 400 and exchange.method == "GET" and exchange.path == "/api/v1/apps"):
            problems.append(f"E0000029 on {exchange.method} {exchange.path}: only the app list answers it")
        elif body["errorCauses"] != LIST_PAGING_ERROR[2]:
            problems.append(f"E0000029 causes {body['errorCauses']!r}, not the recorded ones")
    elif exchange.status in ERROR_CODES:
        codes = ERROR_CODES[exchange.status]
        if code not in codes:
            problems.append(
                f"§7: {exchange.status} with errorCode {code}; docs/okta-api.md lists {sorted(codes)}"
            )
        elif codes[code] is not None and summary != codes[code]:
            problems.append(f"§7: {code} errorSummary {summary!r}, expected {codes[code]!r}")
        elif code in PREFIXES and not summary.startswith(PREFIXES[code]):
            problems.append(f"§7: {code} errorSummary {summary!r} lacks {PREFIXES[code]!r}")
    else:
        problems.append(f"§7: status {exchange.status} is not one docs/okta-api.md lists for errors")
    if exchange.status == 429:
        problems += _too_many(exchange)
    return problems


def _rate_headers(exchange: Exchange) -> list[str]:
    """§6, §10.2: the three headers on every app-route response, as integers that agree."""
    values = {}
    for name in RATE_HEADERS:
        value = exchange.header(name)
        if value is None:
            return [f"§10.2: no {name} header"]
        if not value.isdigit():
            return [f"§6: {name} is {value!r}, not a non-negative integer"]
        values[name] = int(value)
    limit, remaining, reset = (values[n] for n in RATE_HEADERS)
    problems = []
    if remaining > limit:
        problems.append(f"§6: remaining {remaining} exceeds limit {limit}")
    # Epoch seconds, not milliseconds and not a delta: within a day of the recording.
    if abs(reset - time.time()) > 86_400:
        problems.append(f"§6: X-Rate-Limit-Reset {reset} is not epoch seconds near now")
    return problems


def _too_many(exchange: Exchange) -> list[str]:
    """§6, §10.2: a 429 tells when to retry; a concurrency 429 zeroes limit and remaining.
    (`Date` is added by the HTTP server after the router; the SDK session checks it.)"""
    problems = []
    if exchange.header("x-rate-limit-reset") is None:
        problems.append("§10.2: 429 without X-Rate-Limit-Reset")
    if (
        exchange.header("x-rate-limit-limit") == "0"
        and exchange.header("x-rate-limit-remaining") != "0"
    ):
        problems.append("§6: concurrency 429 with Limit 0 but Remaining not 0")
    if exchange.header("retry-after") is not None:
        problems.append("§6: Retry-After is not something Okta sends")
    return problems


APP_OPERATIONS = {"listApplications", "getApplication", "replaceApplication"}
KEY_OPERATIONS = {
    "listApplicationKeys",
    "getApplicationKey",
    "generateApplicationKey",
    "cloneApplicationKey",
    "publishCsrFromApplication",
}
CSR_OPERATIONS = {"listCsrsForApplication", "getCsrForApplication", "generateCsrForApplication"}
CREATING_OPERATIONS = {
    "generateApplicationKey",
    "cloneApplicationKey",
    "generateCsrForApplication",
    "publishCsrFromApplication",
}
SAML_METADATA = re.compile(r"^/api/v1/apps/[^/]+/sso/saml/metadata$")


def _success(exchange: Exchange, operation_id: str | None) -> list[str]:
    """The contract of a successful answer, by what was asked: apps (§8, with pagination §2
    and PUT §4), keys (§5.1-§5.3), CSRs (§5.5), SAML metadata (§8)."""
    problems = []
    if operation_id in CREATING_OPERATIONS and exchange.status != 201:
        problems.append(f"§1: {operation_id} answered {exchange.status}, not 201 Created")
    if exchange.status == 204:
        return problems + (["§1: 204 with a body"] if exchange.response_body else [])
    if operation_id in APP_OPERATIONS:
        return problems + _each(exchange, _app) + _app_request_specifics(exchange)
    if operation_id in KEY_OPERATIONS:
        return problems + _each(exchange, _jwk)
    if operation_id in CSR_OPERATIONS:
        if exchange.content_type() == "application/pkcs10":
            return problems + _pkcs10(exchange)
        return problems + _each(exchange, _csr)
    if exchange.method == "GET" and SAML_METADATA.match(exchange.path):
        return problems + _saml_metadata(exchange)
    if exchange.method == "GET" and exchange.path.rstrip("/") == "/api/v1/logs":
        return problems + _each(exchange, _log_event) + _log_links(exchange)
    return problems + ["no contract in the spec or docs/okta-api.md for this successful answer"]


def _each(exchange: Exchange, check_one) -> list[str]:
    """`check_one` on the JSON object, or on every element of a JSON array."""
    body, problems = _json(exchange)
    if problems:
        return problems
    items = body if isinstance(body, list) else [body]
    for index, item in enumerate(items):
        where = f"[{index}]" if isinstance(body, list) else ""
        if isinstance(item, dict):
            problems += [f"{where}{p}" for p in check_one(item)]
        else:
            problems.append(f"{where}: not an object")
    return problems


def _app_request_specifics(exchange: Exchange) -> list[str]:
    if exchange.method == "GET" and exchange.path.rstrip("/") == "/api/v1/apps":
        return _links(exchange)
    if exchange.method == "PUT":
        app_id = exchange.path.rstrip("/").rsplit("/", 1)[-1]
        answered = exchange.json_body().get("id")
        if answered != app_id:
            return [f"§4: PUT answered with id {answered!r}, not {app_id!r}"]
    return []


def _csr(csr: dict) -> list[str]:
    """§5.5: `{id, created, csr (base64 DER PKCS#10), kty: RSA, _links: {self, publish}}`."""
    problems = []
    if not isinstance(csr.get("id"), str) or not csr["id"]:
        problems.append(" §5.5: no id")
    if not TIMESTAMP.match(str(csr.get("created"))):
        problems.append(f" §5.5: created {csr.get('created')!r} is not YYYY-MM-DDTHH:MM:SS.000Z")
    if csr.get("kty") != "RSA":
        problems.append(f" §5.5: kty {csr.get('kty')!r}, not RSA")
    problems += [f" §5.5: csr {p}" for p in _der_sequence(csr.get("csr"))]
    links = csr.get("_links")
    if not isinstance(links, dict) or not {"self", "publish"} <= links.keys():
        problems.append(" §5.5: _links lacks self or publish")
    return problems


def _pkcs10(exchange: Exchange) -> list[str]:
    """§1: PKCS#10 only when asked for with `Accept: application/pkcs10`; base64 DER."""
    problems = []
    if "application/pkcs10" not in exchange.request_headers.get("accept", ""):
        problems.append("§1: PKCS#10 answer to a request that did not accept it")
    body = exchange.response_body.decode("ascii", errors="replace")
    return problems + [f"§5.5: body {p}" for p in _der_sequence(body)]


def _der_sequence(text: object) -> list[str]:
    """Problems with base64 (standard or URL-safe) text that should hold one DER SEQUENCE."""
    if not isinstance(text, str) or not text.strip():
        return ["is missing"]
    compact = "".join(text.split())
    padded = compact + "=" * (-len(compact) % 4)
    try:
        der = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except binascii.Error as error:
        return [f"is not base64: {error}"]
    return [] if der[:1] == b"\x30" else ["is not a DER SEQUENCE"]


def _saml_metadata(exchange: Exchange) -> list[str]:
    """§8: SAML IdP metadata XML carrying the active signing certificate."""
    if exchange.content_type() not in ("application/xml", "text/xml"):
        return [f"SAML metadata with Content-Type {exchange.header('content-type')!r}"]
    try:
        root = ElementTree.fromstring(exchange.response_body)
    except ElementTree.ParseError as error:
        return [f"SAML metadata is not XML: {error}"]
    problems = []
    if root.tag != f"{{{SAML_MD}}}EntityDescriptor":
        problems.append(f"SAML metadata root is {root.tag}, not md:EntityDescriptor")
    certificates = root.findall(
        f".//{{{SAML_MD}}}IDPSSODescriptor/{{{SAML_MD}}}KeyDescriptor[@use='signing']"
        f"//{{{XMLDSIG}}}X509Certificate"
    )
    if not certificates:
        problems.append("SAML metadata has no signing X509Certificate in its IDPSSODescriptor")
    for certificate in certificates:
        problems += [f"X509Certificate {p}" for p in _der_sequence(certificate.text)]
    return problems


def _log_event(event: dict) -> list[str]:
    """§12: a LogEvent with the members `keyshare watch` reads."""
    problems = []
    for member in ("uuid", "published", "eventType", "displayMessage"):
        if not isinstance(event.get(member), str):
            problems.append(f" §12: {member} is not a string")
    if not isinstance(event.get("outcome"), dict) or "result" not in event["outcome"]:
        problems.append(" §12: outcome.result missing")
    if not isinstance(event.get("actor"), dict):
        problems.append(" §12: actor is not an object")
    targets = event.get("target")
    if not isinstance(targets, list):
        problems.append(" §12: target is not a list")
    else:
        for index, target in enumerate(targets):
            if not (isinstance(target, dict) and isinstance(target.get("id"), str)
                    and isinstance(target.get("type"), str)):
                problems.append(f" §12: target[{index}] lacks a string id and type")
    return problems


def _log_links(exchange: Exchange) -> list[str]:
    """§12: every page links itself; a polling query (no `until`) always links a next page."""
    parsed = [LINK.match(value.strip()) for value in exchange.headers("link")]
    if not all(parsed):
        return [" §12: a Link header that is not one relation"]
    rels = {match.group(2) for match in parsed}
    problems = [] if "self" in rels else [' §12: no Link rel="self"']
    if "until" not in dict(exchange.query_pairs()) and "next" not in rels:
        problems.append(' §12: a polling query (no until) without Link rel="next"')
    return problems


def _jwk(key: dict) -> list[str]:
    problems = []
    if not KID.match(str(key.get("kid"))):
        problems.append(f" §5.1: kid {key.get('kid')!r} is not 43 base64url characters")
    if key.get("kty") != "RSA" or key.get("use") != "sig":
        problems.append(f" §5.1: kty/use {key.get('kty')!r}/{key.get('use')!r}, not RSA/sig")
    for member in ("created", "lastUpdated", "expiresAt"):
        if not TIMESTAMP.match(str(key.get(member))):
            problems.append(f" §5.1: {member} {key.get(member)!r} is not YYYY-MM-DDTHH:MM:SS.000Z")
    if not (isinstance(key.get("x5c"), list) and key["x5c"]):
        problems.append(" §5.1: x5c is not a non-empty list")
    for member in ("x5t#S256", "e", "n"):
        if not isinstance(key.get(member), str):
            problems.append(f" §5.1: {member} missing")
    return problems


def _app(app: dict) -> list[str]:
    problems = []
    if not APP_ID.match(str(app.get("id"))):
        problems.append(f" §8: id {app.get('id')!r} is not '0oa' + 17 characters")
    for member in ("created", "lastUpdated"):
        if not TIMESTAMP.match(str(app.get(member))):
            problems.append(f" §8: {member} {app.get(member)!r} is not YYYY-MM-DDTHH:MM:SS.000Z")
    if app.get("status") not in ("ACTIVE", "INACTIVE", "DELETED"):
        problems.append(f" §8: status {app.get('status')!r}")
    if not isinstance(app.get("_links"), dict):
        problems.append(" §8: no _links object")
    if app.get("signOnMode") in ("SAML_2_0", "SAML_1_1", "WS_FEDERATION", "OPENID_CONNECT"):
        kid = ((app.get("credentials") or {}).get("signing") or {}).get("kid")
        if kid is not None and not KID.match(str(kid)):
            problems.append(f" §4.8: credentials.signing.kid {kid!r} is not an opaque kid")
    return problems


def _links(exchange: Exchange) -> list[str]:
    """§2, §10.1: one `link` header per relation, `self` first, `next` last and only when
    there is a next page, pointing at /api/v1/apps with the caller's limit and an `after`."""
    links = exchange.headers("link")
    parsed = [LINK.match(value.strip()) for value in links]
    if not links:
        return ["§2: no Link header (self is always sent)"]
    if not all(parsed):
        return [f"§2: Link headers not one relation each: {links!r}"]
    rels = [m.group(2) for m in parsed]
    problems = []
    if rels not in (["self"], ["self", "next"]):
        problems.append(f"§10.1: Link relations {rels}, expected self first and next last")
    caller_limit = dict(exchange.query_pairs()).get("limit")
    for match in parsed:
        url = urlsplit(match.group(1))
        if url.path != "/api/v1/apps":
            problems.append(f"§2: {match.group(2)} link points at {url.path}")
        if match.group(2) == "next":
            query = dict(parse_qsl(url.query))
            if not query.get("after"):
                problems.append("§2: next link without an after cursor")
            # Only a limit the spec allows must come back as sent (§2: maximum 200).
            echoed = (
                caller_limit is not None and caller_limit.isdigit() and 0 < int(caller_limit) <= 200
            )
            if echoed and query.get("limit") != caller_limit:
                problems.append(
                    f"§2: next link limit {query.get('limit')!r}, caller sent {caller_limit!r}"
                )
    return problems


def _token(exchange: Exchange) -> list[str]:
    """§9: the org authorization server's client-credentials answers (RFC 6749 §5)."""
    body, problems = _json(exchange)
    if problems:
        return problems
    if exchange.method != "POST" and exchange.status < 400:
        problems.append(f"§9: {exchange.method} on the token endpoint succeeded")
    if not isinstance(body, dict):
        return problems + [f"§9: body is not an object: {body!r}"]
    if exchange.status == 200:
        if body.get("token_type") not in ("Bearer", "DPoP"):
            problems.append(f"§9: token_type {body.get('token_type')!r}")
        if body.get("expires_in") != 3600:
            problems.append(f"§9: expires_in {body.get('expires_in')!r}, the lifetime is 3600 s")
        if not isinstance(body.get("access_token"), str):
            problems.append("§9: no access_token")
        scopes = str(body.get("scope", "")).split()
        if not scopes or not set(scopes) <= SCOPES:
            problems.append(
                f"§9: scope {body.get('scope')!r} not a space-separated subset of {sorted(SCOPES)}"
            )
        return problems
    error = body.get("error")
    if error not in OAUTH_ERRORS:
        problems.append(f"§9: OAuth error {error!r} is not an RFC 6749/9449 code")
    if "error_description" in body and not isinstance(body["error_description"], str):
        problems.append("§9: error_description is not a string")
    if error == "use_dpop_nonce" and (exchange.status != 400 or not exchange.header("dpop-nonce")):
        problems.append("§9: use_dpop_nonce needs 400 and a dpop-nonce header")
    return problems


def _sim_route(exchange: Exchange) -> list[str]:
    """`/__sim/` answers JSON, needs no token and is exempt from rate limits, so a test can always
    inspect and steer the org (docs/design.md "The local Okta simulator")."""
    body, problems = _json(exchange)
    if problems:
        return problems
    present = [name for name in RATE_HEADERS if exchange.header(name) is not None]
    if present:
        problems.append(f"/__sim/ is exempt from rate limits but sent {present}")
    if exchange.status == 401:
        problems.append("/__sim/ needs no token but answered 401")
    if exchange.status == 200 and not isinstance(body, dict):
        problems.append(f"/__sim/ answered a non-object: {json.dumps(body)[:80]}")
    if exchange.status >= 400 and not _sim_error(body):
        problems.append(f"/__sim/ error without an error message: {json.dumps(body)[:80]}")
    if exchange.status not in (200, 400, 404, 405):
        problems.append(f"/__sim/ answered {exchange.status}")
    return problems


def _sim_error(body: object) -> bool:
    """A `/__sim/` error: `{"error": "..."}` from its own routes, or Okta's error object from
    the shared fallback (unknown path, wrong method)."""
    return isinstance(body, dict) and (
        isinstance(body.get("error"), str) or isinstance(body.get("errorCode"), str)
    )
