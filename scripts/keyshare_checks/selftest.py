"""Proof that the traffic checks can fail: takes real recorded exchanges, breaks each in one
way Okta would not answer, and expects the right checker to object (and one allowed variation,
a GET-modify-PUT body that echoes read-only fields, to pass). Prints
`selftest: N passed, M failed`. Run by scripts/python-checks.sh before the real checks."""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

from . import openapi_check, reference_check, traffic
from .report import Group
from .traffic import Exchange


def with_body(exchange: Exchange, edit: Callable[[object], object]) -> Exchange:
    body = edit(json.loads(exchange.response_body))
    return dataclasses.replace(exchange, response_body=json.dumps(body).encode())


def set_member(name: str, value) -> Callable[[dict], dict]:
    return lambda body: {**body, name: value}


def without(name: str) -> Callable[[dict], dict]:
    return lambda body: {k: v for k, v in body.items() if k != name}


def with_headers(exchange: Exchange, headers: list[tuple[str, str]]) -> Exchange:
    return dataclasses.replace(exchange, response_headers=headers)


def drop_header(exchange: Exchange, name: str) -> Exchange:
    kept = [(n, v) for (n, v) in exchange.response_headers if n.lower() != name]
    return with_headers(exchange, kept)


def okta_error(code: str, summary: str) -> dict:
    """An error object of the right shape (docs/okta-api.md §7)."""
    return {
        "errorCode": code,
        "errorSummary": summary,
        "errorLink": code,
        "errorId": "oae" + "a" * 22,
        "errorCauses": [],
    }


def synthetic(path: str, status: int, body: object, headers=()) -> Exchange:
    return Exchange(
        where="selftest",
        origin="selftest",
        method="POST" if path == "/oauth2/v1/token" else "GET",
        path=path,
        query=None,
        request_headers={},
        request_body=b"",
        status=status,
        response_headers=[
            ("content-type", "application/json"),
            ("x-okta-request-id", "selftest"),
            *headers,
        ],
        response_body=json.dumps(body).encode(),
        body_error=None,
    )


class Exemplars:
    """Recorded exchanges to mutate, found by operation (or path) and status."""

    def __init__(self, exchanges: list[Exchange], spec: openapi_check.SpecCheck):
        self.exchanges = exchanges
        self.spec = spec

    def __call__(self, operation_id: str, status: int, where=lambda e: True) -> Exchange:
        """The first recorded `operation_id` answered with `status` that satisfies `where`."""
        for exchange in self.exchanges:
            operation = self.spec.operation(exchange)
            if (
                operation is not None
                and operation.operation_id == operation_id
                and exchange.status == status
                and where(exchange)
            ):
                return exchange
        raise LookupError(f"no recorded {operation_id} {status} to mutate")

    def path(self, pattern: str, status: int) -> Exchange:
        """The first recorded exchange whose path matches `pattern` answered with `status`."""
        for exchange in self.exchanges:
            if re.match(pattern, exchange.path) and exchange.status == status:
                return exchange
        raise LookupError(f"no recorded {pattern} {status} to mutate")


def json_list(exchange: Exchange) -> bool:
    """A JSON array answer with at least one element."""
    return exchange.content_type() == "application/json" and bool(exchange.json_body())


def cases(ex: Exemplars):
    """(name, broken exchange, checker expected to object or None for must-pass)."""
    app = ex("getApplication", 200)
    keys = ex("listApplicationKeys", 200)
    page = ex("listApplications", 200)
    clone_error = ex("cloneApplicationKey", 400)
    generated = ex("generateApplicationKey", 201)
    put = ex("replaceApplication", 200)
    csrs = ex("listCsrsForApplication", 200, json_list)
    pkcs10 = ex("getCsrForApplication", 200, lambda e: e.content_type() == "application/pkcs10")
    revoked = ex("revokeCsrFromApplication", 204)
    metadata = ex.path(r"^/api/v1/apps/[^/]+/sso/saml/metadata$", 200)
    link = [
        ("link", '<http://h/api/v1/apps?limit=1>; rel="self"'),
        ("link", '<http://h/api/v1/apps?limit=1&after=0oaX>; rel="next"'),
    ]
    return [
        ("app without the required label", with_body(app, without("label")), "openapi"),
        (
            "app with a null label (not a null recorded real answers send)",
            with_body(app, set_member("label", None)),
            "openapi",
        ),
        (
            "app with a recorded null: accessibility.errorRedirectUrl",
            with_body(
                app,
                lambda b: {**b, "accessibility": {**b["accessibility"], "errorRedirectUrl": None}},
            ),
            None,
        ),
        (
            "listing holding a directory app (signOnMode null) with a broken SAML app",
            with_body(
                page,
                lambda b: [{**b[0], "signOnMode": None}, {k: v for k, v in b[0].items() if k != "label"}],
            ),
            "openapi",
        ),
        (
            "SAML app whose signOn lacks responseSigned (oneOf by signOnMode)",
            with_body(
                app,
                lambda b: {
                    **b,
                    "settings": {
                        **b["settings"],
                        "signOn": {
                            k: v
                            for k, v in b["settings"]["signOn"].items()
                            if k != "responseSigned"
                        },
                    },
                },
            ),
            "openapi",
        ),
        (
            "key with x5c a string",
            with_body(keys, lambda b: [{**b[0], "x5c": "MII"}, *b[1:]]),
            "openapi",
        ),
        (
            "key with kty EC",
            with_body(keys, lambda b: [{**b[0], "kty": "EC"}, *b[1:]]),
            "reference",
        ),
        (
            "key timestamp without .000Z",
            with_body(keys, lambda b: [{**b[0], "created": "2026-01-01T00:00:00Z"}, *b[1:]]),
            "reference",
        ),
        (
            "error causes not a list",
            with_body(clone_error, set_member("errorCauses", "x")),
            "openapi",
        ),
        (
            "clone error with a code docs/okta-api.md does not list for 400",
            with_body(clone_error, set_member("errorCode", "E0000007")),
            "reference",
        ),
        (
            "errorLink differing from errorCode",
            with_body(clone_error, set_member("errorLink", "E0000002")),
            "reference",
        ),
        ("generate answering 200", dataclasses.replace(generated, status=200), "reference"),
        (
            "generate without validityYears accepted",
            dataclasses.replace(generated, query=None),
            "openapi",
        ),
        (
            "app response without rate-limit headers",
            drop_header(app, "x-rate-limit-limit"),
            "reference",
        ),
        ("no X-Okta-Request-Id", drop_header(app, "x-okta-request-id"), "reference"),
        (
            "Link next before self",
            with_headers(page, [*drop_header(page, "link").response_headers, *reversed(link)]),
            "reference",
        ),
        (
            "429 without X-Rate-Limit-Reset",
            dataclasses.replace(
                drop_header(clone_error, "x-rate-limit-reset"),
                status=429,
                response_body=json.dumps(
                    okta_error("E0000047", "API call exceeded rate limit due to too many requests.")
                ).encode(),
            ),
            "reference",
        ),
        (
            "401 with the wrong summary",
            synthetic(
                "/api/v1/apps",
                401,
                okta_error("E0000011", "Bad token"),
                [
                    ("x-rate-limit-limit", "1"),
                    ("x-rate-limit-remaining", "0"),
                    ("x-rate-limit-reset", "1900000000"),
                ],
            ),
            "reference",
        ),
        (
            "token with a 2 h lifetime",
            synthetic(
                "/oauth2/v1/token",
                200,
                {
                    "token_type": "Bearer",
                    "expires_in": 7200,
                    "access_token": "<redacted:9>",
                    "scope": "okta.apps.read",
                },
            ),
            "reference",
        ),
        (
            "token error that is not an OAuth code",
            synthetic("/oauth2/v1/token", 401, {"error": "nope"}),
            "reference",
        ),
        (
            "/__sim/ route sending rate-limit headers",
            synthetic("/__sim/stats", 200, {}, [("x-rate-limit-limit", "1")]),
            "reference",
        ),
        (
            "CSR without its publish link",
            with_body(csrs, lambda b: [{**b[0], "_links": {"self": b[0]["_links"]["self"]}}]),
            "reference",
        ),
        (
            "CSR whose csr is not base64 DER",
            with_body(csrs, lambda b: [{**b[0], "csr": "not a csr"}]),
            "reference",
        ),
        (
            "PKCS#10 answer to a request that accepts only JSON",
            dataclasses.replace(
                pkcs10, request_headers={**pkcs10.request_headers, "accept": "application/json"}
            ),
            "reference",
        ),
        (
            "SAML metadata without a certificate",
            dataclasses.replace(
                metadata,
                response_body=re.sub(
                    rb"<ds:X509Certificate>[^<]*</ds:X509Certificate>", b"", metadata.response_body
                ),
            ),
            "reference",
        ),
        ("GET-modify-PUT body echoing read-only fields", put, None),
        ("revoked CSR: 204 without a body for content: {}", revoked, None),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--spec", type=Path, required=True)
    parser.add_argument("dirs", type=Path, nargs="+")
    args = parser.parse_args()
    spec = openapi_check.SpecCheck(args.spec)
    group = Group("selftest")
    try:
        table = cases(Exemplars([e for d in args.dirs for e in traffic.load(d)], spec))
    except LookupError as error:
        group.record("exemplars", [str(error)])
        table = []
    for name, exchange, objector in table:
        operation = spec.operation(exchange)
        operation_id = operation.operation_id if operation else None
        app_route = spec.app_route(exchange)
        verdicts = {
            "openapi": bool(spec.describes(exchange) and spec.check(exchange)),
            "reference": bool(reference_check.check(exchange, operation_id, app_route)),
        }
        if objector is None:
            wrong = [f"{checker} objected" for checker, objected in verdicts.items() if objected]
        else:
            wrong = [] if verdicts[objector] else [f"{objector} did not object"]
        group.record(name, wrong)
    group.print_failures()
    print(group.summary())
    return 1 if group.failed else 0


if __name__ == "__main__":
    sys.exit(main())
