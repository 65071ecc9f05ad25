"""Reads the groups of a desired-state directory as the baselines need them: source and member
ids only (make_org.py writes ids; labels and names are keyshare's business, not a baseline's)."""

import glob
import os

import yaml


def groups(directory: str) -> list[tuple[str, list[str]]]:
    """(source id, member ids) of every SigningKeyGroup under `directory`."""
    found = []
    for path in sorted(glob.glob(os.path.join(directory, "*.yaml"))):
        with open(path) as f:
            for doc in yaml.safe_load_all(f):
                if doc and doc.get("kind") == "SigningKeyGroup":
                    spec = doc["spec"]
                    found.append((spec["source"], list(spec["members"])))
    return found
