"""Baseline (b) of docs/performance.md: the Terraform Okta provider's refresh of a SAML app,
per managed app: GET the app, list its keys, fetch its SAML metadata (as recorded in the
provider's VCR cassettes). A small sequential client of the simulator, standard library only;
on 429 it waits until X-Rate-Limit-Reset (by the server's Date) as okta-sdk-golang does.

Usage: python3 terraform_refresh.py ORG_URL TOKEN DESIRED_DIR
Prints one JSON line: {"groups": N, "drifted": N, "errors": N}.
"""

import email.utils
import json
import sys
import time
import urllib.error
import urllib.request

from desired import groups

MAX_RETRIES = 5


class Client:
    def __init__(self, org_url: str, token: str):
        self.org_url = org_url.rstrip("/")
        self.token = token
        # No proxy for the loopback simulator.
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def get(self, path: str, accept: str = "application/json") -> bytes:
        for _ in range(MAX_RETRIES + 1):
            request = urllib.request.Request(
                self.org_url + path,
                headers={"Authorization": f"SSWS {self.token}", "Accept": accept},
            )
            try:
                with self.opener.open(request) as response:
                    return response.read()
            except urllib.error.HTTPError as error:
                if error.code != 429:
                    raise
                reset = int(error.headers["X-Rate-Limit-Reset"])
                date = email.utils.parsedate_to_datetime(error.headers["Date"]).timestamp()
                time.sleep(max(reset - date, 0) + 1)
        raise RuntimeError(f"{path}: still rate limited after {MAX_RETRIES} retries")


def refresh(org_url: str, token: str, directory: str) -> dict:
    client = Client(org_url, token)
    drifted = errors = 0
    wanted = groups(directory)
    for source, members in wanted:
        signing, held = {}, {}
        for app_id in [source, *members]:
            try:
                app = json.loads(client.get(f"/api/v1/apps/{app_id}"))
                keys = json.loads(client.get(f"/api/v1/apps/{app_id}/credentials/keys"))
                client.get(f"/api/v1/apps/{app_id}/sso/saml/metadata", "application/xml")
            except (urllib.error.URLError, RuntimeError):
                errors += 1
                continue
            signing[app_id] = app["credentials"]["signing"].get("kid")
            held[app_id] = {key["kid"] for key in keys}
        group_kid = signing.get(source)
        drifted += not all(
            signing.get(m) == group_kid and group_kid in held.get(m, ()) for m in members
        )
    return {"groups": len(wanted), "drifted": drifted, "errors": errors}


if __name__ == "__main__":
    print(json.dumps(refresh(*sys.argv[1:4])))
