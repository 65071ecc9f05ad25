"""Baseline (a) of docs/performance.md: the drift check written the straightforward way with the
official Okta Python SDK (okta==3.4.4): list every app, list the keys of every managed app,
compare. Sequential, with the SDK's default configuration, so 429s are handled the SDK's own
way (wait until X-Rate-Limit-Reset, then retry up to rateLimit.maxRetries = 2 times).

Usage: python3 sdk_drift.py ORG_URL TOKEN DESIRED_DIR
Prints one JSON line: {"groups": N, "drifted": N, "errors": N}.
"""

import asyncio
import json
import os
import sys

# The SDK refuses http:// and routes every request through HTTP(S)_PROXY (okta-python-sdk.md).
os.environ["OKTA_TESTING_TESTINGDISABLEHTTPSCHECK"] = "true"
for variable in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
    os.environ.pop(variable, None)

from okta.client import Client as OktaClient  # noqa: E402
from okta.pagination import paginate_all  # noqa: E402

from desired import groups  # noqa: E402


async def drift(org_url: str, token: str, directory: str) -> dict:
    wanted = groups(directory)
    async with OktaClient({"orgUrl": org_url, "token": token}) as client:
        apps = {app.id: app async for app in paginate_all(client.list_applications, limit=200)}
        drifted = errors = 0
        for source, members in wanted:
            kids = {}
            for app_id in [source, *members]:
                keys, _, err = await client.list_application_keys(app_id)
                if err is not None:
                    errors += 1
                    continue
                kids[app_id] = {key.kid for key in keys}
            group_kid = apps[source].credentials.signing.kid
            in_sync = all(
                apps[m].credentials.signing.kid == group_kid and group_kid in kids.get(m, ())
                for m in members
            )
            drifted += not in_sync
    return {"groups": len(wanted), "drifted": drifted, "errors": errors}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(drift(*sys.argv[1:4]))))
