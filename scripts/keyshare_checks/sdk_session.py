"""A scripted session of the official Okta Python SDK (`okta`, pinned in requirements.txt)
against `keyshare sim`: `python -m keyshare_checks.sdk_session --binary target/debug/keyshare`.

The SDK is a real, independent client: if it can page, generate, clone, switch and ride out a
rate limit against the simulator, a client written against Okta works against it. Each step
is one check; a step that fails stops the session, and the steps after it count as failed.
Prints `sdk: N passed, M failed`. The SDK quirks worked around here are in
shared/okta-api/okta-python-sdk.md: http:// needs OKTA_TESTING_TESTINGDISABLEHTTPSCHECK, proxy
variables must be unset, the SDK sends `SSWS<token>` without a space."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from datetime import timedelta

from okta.client import Client as OktaClient
from okta.pagination import paginate_pages

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .report import Group

TOKEN = "00sim-sdk-session-token"
APP1, APP2 = "0oa8ae1t5yev2ajDs0h7", "0oa8ae0dv4RGQvjyZ0h7"  # the default org (DOC-share)
KID = re.compile(r"^[A-Za-z0-9_-]{43}$")
# The rate-limit step: a tiny bucket and a short window, so that the SDK's own 429 handling
# (wait until X-Rate-Limit-Reset, then retry) recovers within seconds.
RATE_LIMIT_APPS, RATE_WINDOW_MS, RATE_LIMIT_CALLS = 2, 2000, 12
# Service apps granted only okta.apps.read, for the SDK's PrivateKey (private_key_jwt) mode;
# the second one requires DPoP-bound tokens (docs/okta-api.md §9).
READER, DPOP_READER = "0oasdkreader00000001", "0oasdkdpop0000000001"


class StepFailed(Exception):
    """A step's expectation did not hold."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise StepFailed(message)


def succeeded(result, status: int):
    """The data of an SDK `(data, resp, err)` result, which must be a success with `status`."""
    data, resp, err = result
    expect(err is None, f"SDK error: {getattr(err, 'message', err)}")
    expect(resp.status_code == status, f"status {resp.status_code}, expected {status}")
    return data


def differences(expected: object, actual: object, path: str = "") -> list[str]:
    """JSON paths where `actual` differs from `expected`."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        return [
            difference
            for key in sorted(expected.keys() | actual.keys())
            for difference in differences(expected.get(key), actual.get(key), f"{path}/{key}")
        ]
    return [] if expected == actual else [f"{path or '/'}: {expected!r} -> {actual!r}"]


@contextmanager
def simulator(binary: str, *flags: str):
    """`keyshare sim` on 127.0.0.1:0; yields its base URL, stops it afterwards."""
    env = dict(os.environ, KEYSHARE_SIM_TOKEN=TOKEN)
    process = subprocess.Popen(
        [binary, "sim", "--addr", "127.0.0.1:0", *flags],
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        line = process.stdout.readline().strip()
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+)", line)
        if match is None:
            # An empty line is end of output: the process is exiting, wait for its code.
            exited = process.wait(timeout=10) if not line else None
            raise StepFailed(
                f"`{binary} sim` did not report its address (said {line!r}"
                + (f", exited with {exited})" if exited is not None else ")")
            )
        yield match.group(1)
    finally:
        process.terminate()
        process.wait(timeout=10)


def sim_json(base_url: str, path: str):
    """GET one of the simulator's own `/__sim/` routes (no token needed)."""
    with urllib.request.urlopen(f"{base_url}{path}", timeout=10) as response:
        return json.load(response)


def sdk_client(base_url: str) -> OktaClient:
    return OktaClient(
        {
            "orgUrl": base_url,
            "token": TOKEN,
            "rateLimit": {"maxRetries": 2},
            "requestTimeout": 30,
        }
    )


class Session:
    """The steps, in order; `key` carries the generated key to the steps after it, and
    `before_put` the stored App 2 from before the PUT to the read-back."""

    def __init__(self, client: OktaClient, base_url: str):
        self.client = client
        self.base_url = base_url
        self.key = None
        self.before_put: dict = {}

    async def paginate_with_limit_1(self):
        expected = [entry["app"]["id"] for entry in sim_json(self.base_url, "/__sim/state")["apps"]]
        pages = [
            [app.id for app in page]
            async for page, _number, _more in paginate_pages(self.client.list_applications, limit=1)
        ]
        expect(all(len(page) == 1 for page in pages), f"pages of limit=1 held {pages}")
        seen = [app_id for page in pages for app_id in page]
        expect(seen == expected, f"paged through {seen}, the org holds {expected}")
        expect(len(pages) >= 2, "the default org should need more than one page")

    async def generate(self):
        key = succeeded(await self.client.generate_application_key(APP1, 2), 201)
        expect(bool(KID.match(key.kid or "")), f"kid {key.kid!r} is not 43 base64url chars")
        validity = key.expires_at - key.created
        expect(
            timedelta(days=729) <= validity <= timedelta(days=732),
            f"validityYears=2 gave {validity}",
        )
        self.key = key

    async def list_keys(self):
        keys = succeeded(await self.client.list_application_keys(APP1), 200)
        expect(self.key.kid in [k.kid for k in keys], f"{self.key.kid} not listed")

    async def clone(self):
        clone = succeeded(await self.client.clone_application_key(APP1, self.key.kid, APP2), 201)
        expect(clone.kid == self.key.kid, f"clone has kid {clone.kid}, not {self.key.kid}")
        expect(clone.x5c == self.key.x5c, "clone carries a different certificate")

    async def clone_again_is_an_okta_error(self):
        data, _resp, err = await self.client.clone_application_key(APP1, self.key.kid, APP2)
        expect(data is None and err is not None, "a second clone succeeded")
        expect(err.status == 400, f"status {err.status}, expected 400")
        expect(err.error_code == "E0000001", f"errorCode {err.error_code}")
        expect(
            err.error_summary == "Api validation failed: cloneKey",
            f"errorSummary {err.error_summary!r}",
        )

    def stored_app(self, app_id: str) -> dict:
        """The app as the simulator holds it (`/__sim/state`), not as the SDK models it."""
        state = sim_json(self.base_url, "/__sim/state")
        return next(entry["app"] for entry in state["apps"] if entry["app"]["id"] == app_id)

    async def replace_with_new_kid(self):
        self.before_put = self.stored_app(APP2)
        app = succeeded(await self.client.get_application(APP2), 200)
        expect(app.credentials.signing.kid != self.key.kid, "App 2 already signs with the key")
        app.credentials.signing.kid = self.key.kid
        updated = succeeded(await self.client.replace_application(APP2, app), 200)
        expect(updated.credentials.signing.kid == self.key.kid, "PUT answer has the old kid")

    async def read_back(self):
        app = succeeded(await self.client.get_application(APP2), 200)
        expect(app.credentials.signing.kid == self.key.kid, "GET after PUT has the old kid")
        expect(app.label == "App 2", f"label became {app.label!r}")
        expect(app.sign_on_mode.value == "SAML_2_0", f"signOnMode {app.sign_on_mode}")
        # The SDK's PUT body drops nulls, empty values and members its models lack; docs/okta-api.md
        # §10.7: the stored app must not lose them. Only the kid and lastUpdated may change.
        after = self.stored_app(APP2)
        expected = {
            **self.before_put,
            "lastUpdated": after["lastUpdated"],
            "credentials": {
                **self.before_put["credentials"],
                "signing": {**self.before_put["credentials"]["signing"], "kid": self.key.kid},
            },
        }
        changed = differences(expected, after)
        expect(not changed, f"the GET-modify-PUT also changed {changed}")

    async def rate_limit_and_recover(self, binary: str):
        flags = ("--rate-limit-apps", str(RATE_LIMIT_APPS), "--rate-window-ms", str(RATE_WINDOW_MS))
        with simulator(binary, *flags) as base_url:
            async with sdk_client(base_url) as client:
                # Bounded: a slow machine may spread calls over two windows before one is full.
                slowest = 0.0
                for _ in range(RATE_LIMIT_CALLS):
                    started = time.monotonic()
                    succeeded(await client.list_application_keys(APP1), 200)
                    slowest = max(slowest, time.monotonic() - started)
                    if sim_json(base_url, "/__sim/stats")["rateLimited"] >= 1:
                        break
                else:
                    raise StepFailed(f"{RATE_LIMIT_CALLS} calls never met a 429")
        expect(slowest >= 0.5, f"the SDK recovered in {slowest:.2f} s without waiting")


async def private_key_mode(binary: str, workdir: str, dpop: bool) -> None:
    """The SDK signs in as a read-only service app with private_key_jwt (and DPoP when the
    app requires it): reads work, a write is 403 E0000006."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = os.path.join(workdir, "sdk-client.pem")
    with open(private_pem, "wb") as out:
        out.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    client_id = DPOP_READER if dpop else READER
    seed = {
        "tokens": [TOKEN],
        "apps": [{"id": APP1, "label": "App 1"}],
        "oauthClients": [
            {"clientId": client_id, "publicKey": public_pem.decode(), "scopes": ["okta.apps.read"], "dpop": dpop}
        ],
    }
    seed_file = os.path.join(workdir, "sdk-seed.json")
    with open(seed_file, "w") as out:
        json.dump(seed, out)
    with simulator(binary, "--seed", seed_file) as base_url:
        config = {
            "orgUrl": base_url,
            "authorizationMode": "PrivateKey",
            "clientId": client_id,
            "scopes": ["okta.apps.read"],
            "privateKey": private_pem,
            "dpopEnabled": dpop,
        }
        async with OktaClient(config) as client:
            apps = succeeded(await client.list_applications(limit=5), 200)
            expect(bool(apps), "a read-only token lists no apps")
            _, _, err = await client.generate_application_key(apps[0].id, 2)
            expect(
                err is not None and err.status == 403 and err.error_code == "E0000006",
                f"a write without okta.apps.manage answered {getattr(err, 'message', err)}",
            )


async def run_steps(group: Group, session: Session, binary: str, workdir: str) -> None:
    steps = [
        ("paginate the app list with limit=1", session.paginate_with_limit_1),
        ("generate a key on App 1", session.generate),
        ("list App 1's keys", session.list_keys),
        ("clone the key to App 2", session.clone),
        ("clone again: E0000001 cloneKey", session.clone_again_is_an_okta_error),
        ("GET-modify-PUT App 2 to the new kid", session.replace_with_new_kid),
        ("read App 2 back: only the kid changed", session.read_back),
        ("hit a rate limit and recover", lambda: session.rate_limit_and_recover(binary)),
        ("PrivateKey mode: read, and 403 for a write", lambda: private_key_mode(binary, workdir, dpop=False)),
        ("PrivateKey mode with DPoP: read, and 403", lambda: private_key_mode(binary, workdir, dpop=True)),
    ]
    failed_at = None
    for name, step in steps:
        if failed_at is not None:
            group.record(name, [f"not run: {failed_at!r} failed"])
            continue
        try:
            await step()
            group.record(name, [])
            print(f"ok   [sdk] {name}")
        except Exception as error:  # noqa: BLE001  a crash of the SDK is a failed step too
            group.record(name, [f"{type(error).__name__}: {error}"])
            failed_at = name


async def run(binary: str, workdir: str) -> Group:
    group = Group("sdk")
    try:
        with simulator(binary) as base_url:
            async with sdk_client(base_url) as client:
                await run_steps(group, Session(client, base_url), binary, workdir)
    except StepFailed as error:
        group.record("start keyshare sim", [str(error)])
    return group


def prepare_environment() -> None:
    """What the SDK needs to talk to 127.0.0.1 over http (read when a client is configured):
    no proxy (it ignores NO_PROXY) and its testing switch for http:// org URLs."""
    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        os.environ.pop(variable, None)
    os.environ["OKTA_TESTING_TESTINGDISABLEHTTPSCHECK"] = "true"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", required=True, help="the keyshare executable")
    args = parser.parse_args()
    prepare_environment()
    with tempfile.TemporaryDirectory() as workdir:
        group = asyncio.run(run(args.binary, workdir))
    group.print_failures()
    print(group.summary())
    return 1 if group.failed else 0


if __name__ == "__main__":
    sys.exit(main())
