"""`keyshare metadata` output read by an independent SAML library (pysaml2, pinned in
requirements.txt): `python -m keyshare_checks.saml_metadata --binary target/debug/keyshare`.

Against `keyshare sim`, a two-app group is staged (keyshare runs 45 days ahead through
KEYSHARE_NOW, inside `stageBefore: 60d`), then `keyshare metadata` writes each app's IdP
metadata. Each document must load as SAML metadata in pysaml2 and carry exactly two signing
certificates: the active and the staged one of the app's index. One check per app, plus one
for the setup; prints `saml-metadata: N passed, M failed`."""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from saml2.attribute_converter import ac_factory
from saml2.mdstore import InMemoryMetaData

from keyshare_checks.report import Group
from keyshare_checks.sdk_session import TOKEN, StepFailed, simulator

APPS = ["0oa1stage00000000001", "0oa1stage00000000002"]
SHARED = "shared".ljust(43, "_")
SEED = "apps:\n" + "".join(
    f'  - id: {app}\n    label: App {i + 1}\n'
    f'    keys: [{{kid: "{SHARED}", created: "-2y+100d", expiresAt: "+100d"}}]\n'
    for i, app in enumerate(APPS)
)
GROUP = f"""apiVersion: keyshare/v1
kind: SigningKeyGroup
metadata:
  name: payroll
spec:
  source: {APPS[0]}
  members: [{APPS[1]}]
  key:
    validityYears: 2
    stageBefore: 60d
    rotateBefore: 30d
"""


def fingerprint(certificate_base64: str) -> str:
    """`AB:CD:…` over SHA-256 of the DER, as keyshare writes it."""
    der = base64.b64decode("".join(certificate_base64.split()))
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def keyshare(binary: str, base_url: str, workdir: Path, *args: str) -> None:
    later = datetime.now(timezone.utc) + timedelta(days=45)
    env = dict(
        os.environ,
        OKTA_CLIENT_ORGURL=base_url,
        OKTA_CLIENT_TOKEN=TOKEN,
        KEYSHARE_KEY_CACHE=str(workdir / "cache"),
        KEYSHARE_NOW=later.strftime("%Y-%m-%dT%H:%M:%SZ"),
        RUST_LOG="error",
    )
    done = subprocess.run([binary, *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise StepFailed(f"keyshare {' '.join(args)} exited {done.returncode}: {done.stderr}")


def check_app(out: Path, app: str) -> list[str]:
    """Loads the app's metadata in pysaml2 and compares its signing certificates."""
    index = json.loads((out / f"{app}.json").read_text())
    expected = sorted(index[role]["sha256"] for role in ("active", "staged"))
    metadata = InMemoryMetaData(ac_factory(), metadata=(out / index["metadata_file"]).read_text())
    metadata.load()
    entities = list(metadata.keys())
    if len(entities) != 1:
        return [f"pysaml2 found {len(entities)} entities, not 1"]
    certificates = metadata.certs(entities[0], "idpsso", "signing")
    found = sorted(fingerprint(cert) for _, cert in certificates)
    return [] if found == expected else [f"signing certificates {found}, expected {expected}"]


def run(binary: str) -> Group:
    group = Group("saml-metadata")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "seed.yaml").write_text(SEED)
        (workdir / "groups").mkdir()
        (workdir / "groups" / "payroll.yaml").write_text(GROUP)
        out = workdir / "out"
        try:
            with simulator(binary, "--seed", str(workdir / "seed.yaml")) as base_url:
                keyshare(binary, base_url, workdir, "apply", "--auto-approve", str(workdir / "groups"))
                keyshare(binary, base_url, workdir, "metadata", str(workdir / "groups"), "--out", str(out))
        except StepFailed as failure:
            group.record("stage a key and write the metadata", [str(failure)])
            return group
        group.record("stage a key and write the metadata", [])
        for app in APPS:
            try:
                group.record(f"{app}.xml", check_app(out, app))
            except Exception as error:  # a library error is a failed check, with its reason
                group.record(f"{app}.xml", [f"{type(error).__name__}: {error}"])
    return group


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True, help="a built keyshare")
    group = run(parser.parse_args().binary)
    group.print_failures()
    print(group.summary())
    return 0 if group.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
