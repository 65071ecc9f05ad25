"""Checks of `keyshare sim` from outside Rust: the recorded traffic against the OpenAPI
subset and docs/okta-api.md, and a scripted session of the official Okta Python SDK.
Entry point: scripts/python-checks.sh. What is checked is listed in docs/conformance.md."""
