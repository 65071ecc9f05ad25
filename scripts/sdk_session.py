"""A scripted session of the official Okta Python SDK (okta==3.4.4) against `keyshare sim`.

Usage: python scripts/sdk_session.py BASE_URL TOKEN [CLIENT_ID DPOP_CLIENT_ID PRIVATE_KEY_PEM_FILE]

It proves a real Okta client cannot tell the simulator from an org: paginate the app list
with limit=1, generate a key, list keys, clone it, clone it again (expecting Okta's error
object), replace the app with the new kid, read it back, then hit a rate limit and recover
through the SDK's own retry (which needs Date and X-Rate-Limit-Reset on the 429).
Given two OAuth clients registered with only okta.apps.read and that key, one plain and one
requiring DPoP, it also signs in with private_key_jwt (authorizationMode PrivateKey), with
and without DPoP, reads apps, and is refused a write (403).
Start the simulator with a small apps bucket and a short window for the last step, e.g.
`--rate-limit-apps 40 --rate-window-ms 2000`. Exits non-zero at the first surprise.
The token is never printed.
"""

import asyncio
import json
import os
import sys
import urllib.request

# The SDK refuses http:// unless this is set before the client is built, and it sends every
# request through HTTP(S)_PROXY when one is set, even to 127.0.0.1.
os.environ["OKTA_TESTING_TESTINGDISABLEHTTPSCHECK"] = "true"
for variable in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
    os.environ.pop(variable, None)

from okta.client import Client as OktaClient  # noqa: E402
from okta.pagination import paginate_all  # noqa: E402


def check(condition, what):
    if not condition:
        raise SystemExit(f"FAILED: {what}")
    print(f"ok: {what}")


def sim_get(base_url, path):
    with urllib.request.urlopen(f"{base_url}/__sim/{path}") as response:
        return json.load(response)


def differences(before, after, path=""):
    """The paths at which two JSON values differ."""
    if isinstance(before, dict) and isinstance(after, dict):
        return [d for key in sorted(set(before) | set(after))
                for d in differences(before.get(key, "<absent>"), after.get(key, "<absent>"), f"{path}.{key}")]
    return [] if before == after else [f"{path}: {before!r} -> {after!r}"]


def raw_app(base_url, app_id):
    """The app exactly as the simulator stores it, bypassing the SDK's models."""
    return next(entry["app"] for entry in sim_get(base_url, "state")["apps"] if entry["app"]["id"] == app_id)


async def session(base_url, token):
    config = {"orgUrl": base_url, "token": token, "rateLimit": {"maxRetries": 3}, "requestTimeout": 30}
    async with OktaClient(config) as client:
        apps = [app async for app in paginate_all(client.list_applications, limit=1)]
        check(len(apps) >= 2, f"paginate_all with limit=1 walked {len(apps)} apps")
        check(len({app.id for app in apps}) == len(apps), "no app seen twice")
        saml = [app for app in apps if app.sign_on_mode.value == "SAML_2_0"]
        source, target = saml[0], saml[1]

        key, resp, err = await client.generate_application_key(source.id, 2)
        check(err is None and resp.status_code == 201, "generate answers 201")
        check(len(key.kid) == 43 and key.x5c and key.x5t_s256, "the new key has kid, x5c and x5t#S256")

        keys, _, err = await client.list_application_keys(source.id)
        check(err is None and key.kid in [k.kid for k in keys], "the source lists the new key")

        cloned, resp, err = await client.clone_application_key(source.id, key.kid, target.id)
        check(err is None and resp.status_code == 201 and cloned.kid == key.kid, "clone answers 201 with the same kid")
        check(cloned.x5c == key.x5c, "the clone carries the same certificate")

        _, _, err = await client.clone_application_key(source.id, key.kid, target.id)
        check(err is not None and err.status == 400 and err.error_code == "E0000001", "cloning again is 400 E0000001")
        check(err.error_summary == "Api validation failed: cloneKey", "its summary names cloneKey")
        causes = [cause.get("errorSummary") for cause in err.error_causes]
        check(causes == ["Key already exists in the list of key credentials for the target app."], "its cause is Okta's")

        raw_before = raw_app(base_url, target.id)
        app, _, err = await client.get_application(target.id)
        check(err is None, "get the target app")
        app.credentials.signing.kid = key.kid
        updated, resp, err = await client.replace_application(target.id, app)
        check(err is None and resp.status_code == 200, "replace_application answers 200")
        check(updated.credentials.signing.kid == key.kid, "the PUT answer signs with the new kid")

        again, _, err = await client.get_application(target.id)
        check(err is None and again.credentials.signing.kid == key.kid, "reading it back shows the new kid")
        check(again.label == target.label, "the label survived the read-modify-write")
        raw_after = raw_app(base_url, target.id)
        for raw in (raw_before, raw_after):
            raw.pop("lastUpdated")
            raw["credentials"]["signing"].pop("kid")
        changed = differences(raw_before, raw_after)
        check(not changed, f"nothing but the kid and lastUpdated changed, though the SDK drops empty values {changed}")

        before = sim_get(base_url, "stats")["rateLimited"]
        for attempt in range(60):
            _, _, err = await client.list_application_keys(source.id)
            if err is not None:
                raise SystemExit(f"FAILED: list keys #{attempt} despite the SDK's retries: {err}")
        stats = sim_get(base_url, "stats")
        throttled = stats["rateLimited"] - before
        check(throttled > 0, f"the session hit the rate limit ({throttled} x 429) and recovered")
        check(stats["retries"] >= throttled, "each 429 was retried with X-Okta-Retry-For")


async def oauth_session(base_url, client_id, private_key_file, dpop):
    config = {
        "orgUrl": base_url,
        "authorizationMode": "PrivateKey",
        "clientId": client_id,
        "scopes": ["okta.apps.read"],
        "privateKey": private_key_file,
        "kid": "sim-key",
        "dpopEnabled": dpop,
    }
    mode = "PrivateKey mode with DPoP" if dpop else "PrivateKey mode"
    async with OktaClient(config) as client:
        apps, resp, err = await client.list_applications(limit=5)
        check(err is None and resp.status_code == 200 and apps, f"{mode}: a read-only token lists apps")
        _, _, err = await client.generate_application_key(apps[0].id, 2)
        check(err is not None and err.status == 403 and err.error_code == "E0000006", f"{mode}: a write without okta.apps.manage is 403 E0000006")


def main():
    if len(sys.argv) not in (3, 6):
        raise SystemExit("usage: sdk_session.py BASE_URL TOKEN [CLIENT_ID DPOP_CLIENT_ID PRIVATE_KEY_PEM_FILE]")
    asyncio.run(session(sys.argv[1], sys.argv[2]))
    if len(sys.argv) == 6:
        asyncio.run(oauth_session(sys.argv[1], sys.argv[3], sys.argv[5], dpop=False))
        asyncio.run(oauth_session(sys.argv[1], sys.argv[4], sys.argv[5], dpop=True))
    print("sdk session: all steps passed")


if __name__ == "__main__":
    main()
