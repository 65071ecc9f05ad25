"""The exchanges that crates/okta-sim/src/traffic.rs records when KEYSHARE_SIM_TRAFFIC_DIR is
set: one `*.jsonl` file per simulator instance, a header line (`kind: instance`) and then one
line per exchange (`kind: exchange`). Bodies are `{"text": ...}` or `{"base64": ...}`; credentials are
already redacted by the recorder."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl


@dataclass(frozen=True)
class Exchange:
    """One request and the response the simulator gave to it."""

    where: str
    origin: str
    method: str
    path: str
    query: str | None
    request_headers: dict[str, str]
    request_body: bytes
    status: int
    response_headers: list[tuple[str, str]]
    response_body: bytes
    body_error: str | None

    def header(self, name: str) -> str | None:
        """The first response header called `name` (case-insensitive), if any."""
        values = self.headers(name)
        return values[0] if values else None

    def headers(self, name: str) -> list[str]:
        """Every response header called `name`, in the order they were sent."""
        name = name.lower()
        return [v for (n, v) in self.response_headers if n.lower() == name]

    def query_pairs(self) -> list[tuple[str, str]]:
        """The query string as name/value pairs, in order."""
        return parse_qsl(self.query or "", keep_blank_values=True)

    def json_body(self):
        """The response body parsed as JSON (raises ValueError when it is not JSON)."""
        return json.loads(self.response_body)

    def content_type(self) -> str:
        """The response media type without parameters, lower case."""
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    def describe(self) -> str:
        """`METHOD /path?query -> status` plus where it was recorded and by which test."""
        query = f"?{self.query}" if self.query else ""
        return f"{self.method} {self.path}{query} -> {self.status} [{self.origin}; {self.where}]"


def _body(recorded: dict) -> bytes:
    if "base64" in recorded:
        return base64.b64decode(recorded["base64"])
    return recorded.get("text", "").encode()


def _exchange(line: dict, where: str, origin: str) -> Exchange:
    request, response = line["request"], line["response"]
    return Exchange(
        where=where,
        origin=origin,
        method=request["method"],
        path=request["path"],
        query=request.get("query"),
        request_headers={k.lower(): v for k, v in request["headers"].items()},
        request_body=_body(request["body"]),
        status=int(response["status"]),
        response_headers=[(n, v) for n, v in response["headers"]],
        response_body=_body(response["body"]),
        body_error=response.get("bodyError"),
    )


def load(directory: Path) -> list[Exchange]:
    """Every exchange recorded under `directory`, file by file, in recording order."""
    exchanges = []
    for file in sorted(directory.glob("*.jsonl")):
        origin = "?"
        # One record a line, split at "\n" only: str.splitlines() also splits at U+2028,
        # U+0085 and other characters that JSON strings carry unescaped (labels from the
        # hostile-text tests hold every one of them).
        for number, text in enumerate(file.read_text().split("\n"), start=1):
            if not text.strip():
                continue
            line = json.loads(text)
            where = f"{file.name}:{number}"
            if line["kind"] == "instance":
                origin = line.get("origin") or line.get("program") or "?"
            elif line["kind"] == "exchange":
                exchanges.append(_exchange(line, where, origin))
    return exchanges
