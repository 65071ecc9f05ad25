"""Shape comparison of `keyshare sim` against recorded real Okta answers:
`python -m keyshare_checks.real_shapes --binary target/debug/keyshare --org ORG_JSON --doc
docs/simulator.md`.

ORG_JSON is the org assembled from recorded real traffic (`shared/real-okta/org.json` above
the repository). For each app kind (sign-on mode), for key lists and the generate and clone
answers, for SAML metadata, for each recorded error and for response headers, it compares the
set of fields, their JSON types and where nulls appear in the simulator's answers against the
recorded ones. A difference is one of:

- `KIND: PATH sent, never recorded`: the simulator sends a member no recording has (reported
  at the outermost such member only);
- `KIND: PATH recorded in every answer, not sent`: every recording has it, the simulator not;
- `KIND: PATH is TYPE, recorded as TYPES`: a JSON type the recordings never show there; a
  `null` where recordings have a value, or a value where they always have `null`, is this;
- for metadata, headers and errors, the same idea for XML elements and attributes, header
  names, `Link` layout, status and code.

Every difference must be listed, with its reason, between the `shape-differences` markers of
docs/simulator.md; a listed difference that no longer occurs must go. Prints every difference
and `shapes: N differences (L listed, U unlisted, S stale)`; exits non-zero on any unlisted or
stale one. Only the standard library is used."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

TOKEN = "00sim-shapes-token"
# One app of every mode the simulator can hold, with the mode of the recorded org's apps.
MODES = [
    "SAML_2_0",
    "SAML_1_1",
    "WS_FEDERATION",
    "BOOKMARK",
    "OPENID_CONNECT",
    "BROWSER_PLUGIN",
    "AUTO_LOGIN",
    "BASIC_AUTH",
    "SECURE_PASSWORD_STORE",
    "MFA_AS_SERVICE",
    None,
]
# Members whose names are data, not schema: compared as one wildcard member.
DYNAMIC_MAPS = ("visibility.appLinks",)
MARKERS = ("<!-- shape-differences:start -->", "<!-- shape-differences:end -->")
NAMESPACES = {
    "urn:oasis:names:tc:SAML:2.0:metadata": "md",
    "http://www.w3.org/2000/09/xmldsig#": "ds",
}


def json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def flatten(value, path: str, out: dict[str, set[str]]) -> None:
    """Every path in `value` with the JSON types seen there; array elements are `[]`."""
    out.setdefault(path, set()).add(json_type(value))
    if isinstance(value, dict):
        wildcard = path in DYNAMIC_MAPS
        for name, member in value.items():
            child = f"{path}.{'*' if wildcard else name}" if path else name
            flatten(member, child, out)
    elif isinstance(value, list):
        for item in value:
            flatten(item, f"{path}[]", out)


class Shape:
    """The paths of a set of JSON answers: types seen and in how many answers each occurs."""

    def __init__(self, answers: list):
        self.count = len(answers)
        self.types: dict[str, set[str]] = defaultdict(set)
        self.seen_in: dict[str, int] = defaultdict(int)
        for answer in answers:
            paths: dict[str, set[str]] = {}
            flatten(answer, "", paths)
            for path, types in paths.items():
                self.types[path] |= types
                self.seen_in[path] += 1


def parent(path: str) -> str:
    if path.endswith("[]"):
        return path[:-2]
    return path.rsplit(".", 1)[0] if "." in path else ""


def compare(kind: str, recorded: list, sent: list) -> list[str]:
    """The differences between the shapes of `sent` and `recorded` answers of one kind."""
    if not recorded:
        return [f"{kind}: no recording"]
    if not sent:
        return [f"{kind}: recorded, the simulator has none"]
    rec, sim = Shape(recorded), Shape(sent)
    found = []
    for path in sorted(sim.types):
        if not path:
            continue
        if path not in rec.types:
            if parent(path) in rec.types or not parent(path):
                found.append(f"{kind}: {path} sent, never recorded")
            continue
        extra = sim.types[path] - rec.types[path]
        if extra:
            found.append(
                f"{kind}: {path} is {'/'.join(sorted(extra))}, recorded as {'/'.join(sorted(rec.types[path]))}"
            )
    for path in sorted(rec.types):
        if path and rec.seen_in[path] == rec.count and path not in sim.types:
            if parent(path) in sim.types or not parent(path):
                found.append(f"{kind}: {path} recorded in every answer, not sent")
    return found


# Simulator side ---------------------------------------------------------------------------


@contextmanager
def simulator(binary: str, *flags: str):
    """`keyshare sim` on 127.0.0.1:0 with TOKEN; yields its base URL."""
    process = subprocess.Popen(
        [binary, "sim", "--addr", "127.0.0.1:0", "--token", TOKEN, *flags],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline().strip()
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+)", line)
        if match is None:
            raise SystemExit(f"`{binary} sim` did not report its address: {line!r}")
        yield match.group(1)
    finally:
        process.terminate()
        process.wait(timeout=10)


class Answer:
    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def header_names(self) -> set[str]:
        return {name.lower() for name, _ in self.headers}

    def values(self, name: str) -> list[str]:
        return [v for n, v in self.headers if n.lower() == name]


def call(base: str, method: str, path: str, body: bytes | None = None, token: bool = True) -> Answer:
    request = urllib.request.Request(f"{base}{path}", data=body, method=method)
    if token:
        request.add_header("Authorization", f"SSWS {TOKEN}")
    if body is not None or method in ("POST", "PUT"):
        request.add_header("Content-Type", "application/json")
        request.add_header("Content-Length", str(len(body or b"")))
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Answer(response.status, list(response.headers.items()), response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, list(error.headers.items()), error.read())


def collect_sim(binary: str) -> dict:
    """The simulator's answers, by the same names as the recordings."""
    seed = {
        "org": "classic-00",
        "apps": [
            {"label": f"shape {mode or 'null'}", "signOnMode": mode} for mode in MODES
        ],
    }
    with tempfile.TemporaryDirectory() as work:
        seed_path = Path(work, "seed.json")
        seed_path.write_text(json.dumps(seed))
        flags = ["--seed", str(seed_path), "--synthetic-apps", "30", "--synthetic-mix", "recorded"]
        with simulator(binary, *flags) as base:
            answers = collect_from(base)
        with simulator(binary, "--rate-limit-apps", "1") as base:
            call(base, "GET", "/api/v1/apps")
            answers["errors"]["rate_limited"] = call(base, "GET", "/api/v1/apps")
    return answers


def collect_from(base: str) -> dict:
    first = call(base, "GET", "/api/v1/apps?limit=200")
    apps = first.json()
    by_mode: dict[str, list] = defaultdict(list)
    for app in apps:
        by_mode[app["signOnMode"] or "null"].append(app)
    keys = []
    for app in apps:
        listed = call(base, "GET", f"/api/v1/apps/{app['id']}/credentials/keys").json()
        keys.extend(listed)
    saml = [a for a in apps if a["signOnMode"] == "SAML_2_0"]
    source, target = saml[0]["id"], saml[1]["id"]
    generated = call(base, "POST", f"/api/v1/apps/{source}/credentials/keys/generate?validityYears=2")
    kid = generated.json()["kid"]
    clone_path = f"/api/v1/apps/{source}/credentials/keys/{kid}/clone?targetAid={target}"
    cloned = call(base, "POST", clone_path)
    duplicate = call(base, "POST", clone_path)
    metadata = [
        call(base, "GET", f"/api/v1/apps/{a['id']}/sso/saml/metadata")
        for a in apps
        if a["signOnMode"] in ("SAML_2_0", "SAML_1_1")
    ]
    paged = call(base, "GET", "/api/v1/apps?limit=2")
    faults = json.dumps(
        {"rules": [{"method": "GET", "route": "/api/v1/apps/{appId}", "action": "fail", "status": 500}]}
    ).encode()
    call(base, "POST", "/__sim/faults", faults, token=False)
    errors = {
        "server_error": call(base, "GET", f"/api/v1/apps/{source}"),
        "not_found": call(base, "GET", "/api/v1/apps/0oa6bdwarf0Rq1tSm1d7"),
        "invalid_search": call(base, "GET", "/api/v1/apps?" + urllib.parse.urlencode({"filter": 'name sw "x"'})),
        "invalid_paging": call(base, "GET", "/api/v1/apps?after=0oaunknown0000000000"),
        "malformed_body": call(base, "PUT", f"/api/v1/apps/{source}", b"not json"),
        "method_not_allowed": call(base, "DELETE", "/api/v1/apps"),
    }
    return {
        "apps": by_mode,
        "keys": keys,
        "generate": generated,
        "clone": cloned,
        "clone_duplicate": duplicate,
        "metadata": metadata,
        "link": paged,
        "errors": errors,
    }


# Recorded side ----------------------------------------------------------------------------


def recorded_apps(org: dict) -> dict[str, list]:
    by_mode: dict[str, list] = defaultdict(list)
    for entry in org["apps"]:
        body = entry["body"]
        by_mode[body["signOnMode"] or "null"].append(body)
    return by_mode


def metadata_shape(xml: str) -> set[str]:
    """Element paths (`md:EntityDescriptor/md:IDPSSODescriptor…`) and their attributes."""
    root = ElementTree.fromstring(xml)
    found: set[str] = set()

    def name(tag: str) -> str:
        match = re.fullmatch(r"\{(.*)\}(.*)", tag)
        return f"{NAMESPACES.get(match.group(1), match.group(1))}:{match.group(2)}" if match else tag

    def walk(element, path: str) -> None:
        here = f"{path}/{name(element.tag)}" if path else name(element.tag)
        found.add(here)
        for attribute in element.attrib:
            found.add(f"{here}@{name(attribute)}")
        for child in element:
            walk(child, here)

    walk(root, "")
    return found


def certificate_lines(xml: str) -> int:
    """The longest line of the certificate's text."""
    match = re.search(r"<ds:X509Certificate>(.*?)</ds:X509Certificate>", xml, re.S)
    return max(len(line) for line in match.group(1).split("\n")) if match else 0


def compare_metadata(recorded: list[dict], sent: list[Answer]) -> list[str]:
    found = []
    rec_types = {entry["content_type"] for entry in recorded}
    for answer in sent:
        for value in answer.values("content-type"):
            if value not in rec_types:
                found.append(f"metadata: content-type {value}, recorded as {'/'.join(sorted(rec_types))}")
    rec_shapes = [metadata_shape(entry["xml"]) for entry in recorded]
    every = set.intersection(*rec_shapes)
    anywhere = set.union(*rec_shapes)
    sim_shapes = [metadata_shape(a.body.decode()) for a in sent]
    for path in sorted(set.union(*sim_shapes) - anywhere):
        found.append(f"metadata: {path} sent, never recorded")
    for path in sorted(every - set.intersection(*sim_shapes)):
        found.append(f"metadata: {path} recorded in every answer, not sent")
    rec_width = {certificate_lines(entry["xml"]) for entry in recorded}
    sim_width = {certificate_lines(a.body.decode()) for a in sent}
    if not sim_width <= rec_width:
        found.append(f"metadata: certificate lines of {sorted(sim_width)} characters, recorded {sorted(rec_width)}")
    return sorted(set(found))


def link_layout(value: str) -> str:
    """`rel: param,param` of one Link header value."""
    match = re.fullmatch(r'<([^>]*)>; rel="(\w+)"', value)
    if not match:
        return f"unparsable {value!r}"
    query = urllib.parse.urlsplit(match.group(1)).query
    names = [name for name, _ in urllib.parse.parse_qsl(query)]
    return f"{match.group(2)}: {','.join(names)}"


# How the bytes travel, not what the API says: they depend on the client (urllib asks for no
# compression) and the connection, so they are not compared.
FRAMING = {"connection", "content-length", "transfer-encoding", "content-encoding"}


def compare_headers(org: dict, sim: dict) -> list[str]:
    """Header names of recorded answers against the simulator's answers of the same kind, and
    the layout of `Link` headers. Only recordings that kept their headers count: the
    Terraform provider's cassettes keep nothing but Content-Type and Date."""
    found = set()
    pairs = [
        ({k.lower() for k in entry.get("headers", {})}, sim["errors"][name])
        for name, entry in org["errors"].items()
        if entry["src"]["repo"] != "okta/terraform-provider-okta"
    ]
    pairs.append(({k.lower() for k in org["link_example"]["headers"]}, sim["link"]))
    recorded_anywhere = set().union(*(names for names, _ in pairs))
    for names, answer in pairs:
        sent = answer.header_names() - FRAMING
        for name in sorted(names - FRAMING - sent):
            found.add(f"header {name}: recorded, not sent")
        for name in sorted(sent - recorded_anywhere):
            found.add(f"header {name}: sent, never recorded")
    recorded_links = [link_layout(v) for v in org["link_example"]["headers"]["Link"]]
    sent_links = [link_layout(v) for v in sim["link"].values("link")]
    if recorded_links != sent_links:
        found.add(f"header link: {sent_links}, recorded {recorded_links}")
    return sorted(found)


def compare_errors(org: dict, sim: dict) -> list[str]:
    found = []
    recorded = dict(org["errors"], clone_duplicate=org["clone_duplicate"])
    sent = dict(sim["errors"], clone_duplicate=sim["clone_duplicate"])
    for name, entry in sorted(recorded.items()):
        answer = sent[name]
        body = answer.json()
        if answer.status != entry["status"] or body.get("errorCode") != entry["body"]["errorCode"]:
            found.append(
                f"error {name}: {answer.status} {body.get('errorCode')}, recorded {entry['status']} {entry['body']['errorCode']}"
            )
        found += compare(f"error {name}", [entry["body"]], [body])
        if len(body.get("errorCauses", [])) != len(entry["body"]["errorCauses"]):
            found.append(f"error {name}: {len(body.get('errorCauses', []))} causes, recorded {len(entry['body']['errorCauses'])}")
    return found


def differences(org: dict, sim: dict) -> list[str]:
    found = []
    recorded = recorded_apps(org)
    for mode in sorted(set(recorded) | set(sim["apps"])):
        found += compare(f"app {mode}", recorded.get(mode, []), sim["apps"].get(mode, []))
    recorded_keys = [k for entry in org["keys"].values() for k in entry["list"]]
    found += compare("key list", recorded_keys, sim["keys"])
    found += compare("generate", [org["generate_example"]["body"]], [sim["generate"].json()])
    found += compare("clone", [org["clone_example"]["body"]], [sim["clone"].json()])
    for name, recorded_status in (("generate", 201), ("clone", 201)):
        if sim[name].status != recorded_status:
            found.append(f"{name}: status {sim[name].status}, recorded {recorded_status}")
    found += compare_metadata(list(org["metadata"].values()), sim["metadata"])
    found += compare_errors(org, sim)
    found += compare_headers(org, sim)
    return found


def listed_differences(doc: Path) -> set[str]:
    """The first column (in backticks) of each table row between the markers."""
    text = doc.read_text()
    start, end = (text.index(marker) for marker in MARKERS)
    rows = re.findall(r"^\| `([^`]+)` \|", text[start:end], re.M)
    return set(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--org", type=Path, required=True)
    parser.add_argument("--doc", type=Path, required=True)
    args = parser.parse_args()

    org = json.loads(args.org.read_text())
    found = sorted(set(differences(org, collect_sim(args.binary))))
    listed = listed_differences(args.doc)
    unlisted = [d for d in found if d not in listed]
    stale = sorted(listed - set(found))
    for difference in found:
        print(f"{'  listed ' if difference in listed else 'UNLISTED '} {difference}")
    for difference in stale:
        print(f"STALE     {difference} (listed in {args.doc}, no longer found)")
    print(
        f"shapes: {len(found)} differences ({len(found) - len(unlisted)} listed, "
        f"{len(unlisted)} unlisted, {len(stale)} stale)"
    )
    return 1 if unlisted or stale else 0


if __name__ == "__main__":
    sys.exit(main())
