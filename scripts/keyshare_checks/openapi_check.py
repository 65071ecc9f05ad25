"""Validation of recorded exchanges against the OpenAPI subset
(shared/okta-api/apps-keys.openapi.yaml) with openapi-core: the request (path and query
parameters, security, body) and the response (status documented, content type, body schema,
oneOf with the `signOnMode` discriminator).

A request the spec rejects is allowed only when the simulator rejected it too (4xx): tests
send bad requests on purpose to reach error paths. An exchange whose status the operation does
not document is not this module's business: `describes` says no and docs/okta-api.md checks it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.exceptions import OpenAPIError
from openapi_core.validation.response.exceptions import MissingData
from werkzeug.datastructures import Headers, ImmutableMultiDict

from .traffic import Exchange

# The spec's only server is `https://{yourOktaDomain}`; requests are validated as if sent there.
HOST_URL = "https://subdomain.okta.com"
METHODS = ("get", "put", "post", "delete", "patch")


@dataclass(frozen=True)
class Operation:
    """One operation of the spec: where it lives and which statuses it documents."""

    operation_id: str
    method: str
    template: str
    pattern: re.Pattern
    statuses: frozenset[str]
    bodiless: frozenset[str]

    def documents(self, status: int) -> bool:
        return str(status) in self.statuses or "default" in self.statuses


def _operations(document: dict) -> list[Operation]:
    operations = []
    for template, item in document["paths"].items():
        regex = "^" + re.sub(r"\{[^}/]+\}", "[^/]+", template) + "$"
        for method in METHODS:
            if method in item:
                operation = item[method]
                operations.append(
                    Operation(
                        operation_id=operation["operationId"],
                        method=method.upper(),
                        template=template,
                        pattern=re.compile(regex),
                        statuses=frozenset(str(s) for s in operation["responses"]),
                        bodiless=frozenset(
                            str(status)
                            for status, response in operation["responses"].items()
                            if response.get("content", {}) == {}
                        ),
                    )
                )
    # A literal segment beats a parameter (`/keys/generate` before `/keys/{keyId}`).
    operations.sort(key=lambda o: o.template.count("{"))
    return operations


class RecordedRequest:
    """An openapi-core request built from a recorded exchange."""

    def __init__(self, exchange: Exchange):
        self.host_url = HOST_URL
        self.path = exchange.path
        self.method = exchange.method.lower()
        self.body = exchange.request_body or None
        self.content_type = exchange.request_headers.get("content-type", "").lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(exchange.query_pairs()),
            header=Headers(list(exchange.request_headers.items())),
            cookie=ImmutableMultiDict(),
        )


class RecordedResponse:
    """An openapi-core response built from a recorded exchange (or from `data` instead of its
    body)."""

    def __init__(self, exchange: Exchange, data: bytes | None = None):
        self.status_code = exchange.status
        self.headers = Headers(exchange.response_headers)
        self.content_type = (exchange.header("content-type") or "").lower()
        self.data = exchange.response_body if data is None else data


def _modes(document: dict) -> frozenset:
    """Every `signOnMode` a discriminator of the spec maps to a schema."""
    found = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            discriminator = node.get("discriminator")
            if isinstance(discriminator, dict) and discriminator.get("propertyName") == "signOnMode":
                found.update(discriminator.get("mapping", {}))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    return frozenset(found)


# The spec marks `id`, `name`, `status`, `_links`… readOnly, so a GET-modify-PUT body "writes"
# them; its own description of replaceApplication says their values are ignored (docs/okta-api.md §4).
READ_ONLY_WRITE = "Tried to write read-only property"

# Members of an app that recorded real Okta answers send as `null` although the spec does not
# allow it (docs/simulator.md "Shapes and the recordings"). The simulator sends them as recorded,
# so a `null` there is accepted, in answers and in GET-modify-PUT bodies that echo them; a
# `null` anywhere else, or any other schema error at these members, is still an error.
RECORDED_NULLS = re.compile(
    r"^(/\d+)?/("
    r"accessibility/(errorRedirectUrl|loginRedirectUrl)"
    r"|settings/notifications/vpn/(message|helpUrl)"
    r"|settings/notes/(admin|enduser)"
    r"|settings/signOn/(spIssuer|defaultRelayState|ssoAcsUrlOverride|audienceOverride"
    r"|recipientOverride|redirectUrl)"
    r"|settings/app/(attributeStatements|groupFilter|loginUrlRegex|optionalField[123](Value)?)"
    r"|settings/oauthClient/(client_uri|logo_uri)"
    r")$"
)
NULL_MESSAGES = ("None for not nullable", "None is not of type ")


def recorded_null(path: str, message: str) -> bool:
    """Whether a schema error is a `null` where recorded real answers have one."""
    return bool(RECORDED_NULLS.match(path)) and message.startswith(NULL_MESSAGES)


def _chain(error: BaseException) -> list[BaseException]:
    """The error and every error it was raised from."""
    chain, seen = [], set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        chain.append(error)
        error = error.__cause__ or error.__context__
    return chain


def schema_errors(error: BaseException) -> list[tuple[str, str]]:
    """(JSON path, message) of every innermost schema error under `error`; oneOf failures
    are only useful at their leaves."""
    leaves = []
    for link in _chain(error):
        for schema_error in getattr(link, "schema_errors", ()) or ():
            for leaf in _leaves(schema_error):
                path = "/" + "/".join(str(p) for p in leaf.absolute_path)
                leaves.append((path, leaf.message))
    return leaves


def _leaves(schema_error):
    context = getattr(schema_error, "context", None)
    if not context:
        return [schema_error]
    return [leaf for sub in context for leaf in _leaves(sub)]


def explain(error: BaseException, leaves: list[tuple[str, str]]) -> list[str]:
    """The validator's messages, then the schema errors that matter, one line each."""
    lines = [f"{type(link).__name__}: {link}"[:600] for link in _chain(error)]
    lines.extend(f"  at {path}: {message}"[:600] for path, message in leaves)
    return lines


def _ascii(data: bytes, **_media_type_parameters: str) -> str:
    """A text body as a string; parameters such as `filename=okta.p10` do not change it."""
    return data.decode("ascii")


class SpecCheck:
    """Validates exchanges against one OpenAPI document."""

    def __init__(self, spec_path: Path):
        # PKCS#10 CSRs are base64 text (`AppCsrPkcs10`: string, format base64); openapi-core
        # knows no deserializer for the media type and would compare raw bytes to a string.
        config = Config(extra_media_type_deserializers={"application/pkcs10": _ascii})
        self.openapi = OpenAPI.from_file_path(str(spec_path), config=config)
        with open(spec_path) as f:
            document = yaml.safe_load(f)
        self.operations = _operations(document)
        self.modes = _modes(document)

    def _unlisted_mode(self, app) -> bool:
        """An app whose `signOnMode` the spec does not list: `null` (directory integrations)
        or a mode such as MFA_AS_SERVICE. Real orgs return both (docs/simulator.md); the spec
        has no schema for them, so only the reference check holds them."""
        return isinstance(app, dict) and "signOnMode" in app and app["signOnMode"] not in self.modes

    def _app_body(self, exchange: Exchange):
        try:
            return json.loads(exchange.response_body)
        except ValueError:
            return None

    def operation(self, exchange: Exchange) -> Operation | None:
        """The operation the exchange's method and path belong to, if the spec has it."""
        for operation in self.operations:
            if operation.method == exchange.method and operation.pattern.match(exchange.path):
                return operation
        return None

    def app_route(self, exchange: Exchange) -> bool:
        """Whether the path is one of the spec's routes, whatever the method."""
        return any(o.pattern.match(exchange.path) for o in self.operations)

    def describes(self, exchange: Exchange) -> bool:
        """Whether the spec documents this exchange's operation and status (and, for one app,
        its sign-on mode)."""
        operation = self.operation(exchange)
        if operation is None or not operation.documents(exchange.status):
            return False
        return not (exchange.status < 300 and self._unlisted_mode(self._app_body(exchange)))

    def check(self, exchange: Exchange) -> list[str]:
        """Problems with an exchange the spec describes; empty when it conforms."""
        request = RecordedRequest(exchange)
        problems = []
        try:
            self.openapi.validate_request(request)
        except OpenAPIError as error:
            leaves = schema_errors(error)
            real = [
                (p, m)
                for (p, m) in leaves
                if not m.startswith(READ_ONLY_WRITE) and not recorded_null(p, m)
            ]
            if (real or not leaves) and 200 <= exchange.status < 300:
                problems.append("the simulator accepted a request the spec rejects:")
                problems.extend(explain(error, real))
        # A listing validates without its apps of unlisted modes, which `describes` explains.
        body, data = self._app_body(exchange), None
        if isinstance(body, list) and any(self._unlisted_mode(app) for app in body):
            data = json.dumps([app for app in body if not self._unlisted_mode(app)]).encode()
        try:
            self.openapi.validate_response(request, RecordedResponse(exchange, data))
        except OpenAPIError as error:
            leaves = schema_errors(error)
            real = [(p, m) for (p, m) in leaves if not recorded_null(p, m)]
            if (real or not leaves) and not self._bodiless_as_documented(exchange, error):
                problems.append("response does not match the spec:")
                problems.extend(explain(error, real))
        return problems

    def _bodiless_as_documented(self, exchange: Exchange, error: OpenAPIError) -> bool:
        """`content: {}` (e.g. revokeCsr's 204) documents no body, but openapi-core reads any
        `content` key as "a body is required": an empty body is what the spec means."""
        operation = self.operation(exchange)
        return (
            any(isinstance(link, MissingData) for link in _chain(error))
            and not exchange.response_body
            and operation is not None
            and str(exchange.status) in operation.bodiless
        )
