"""Runs scim2-tester's check_server against a SCIM service provider (what `scim2 test` runs, but
SKIPPED counts as a pass here, and every result is written out as JSON).

    python check_server.py BASE_URL RESULTS_JSON      (the bearer token comes from SCIM_TOKEN)

Prints one line per result, with the reason and, for a failure, the data the checker attached.
Exits 1 when any result is ERROR or CRITICAL (or anything else that is not SUCCESS or SKIPPED),
2 when the run itself broke.
"""
import json
import os
import sys
from collections import Counter

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

PASSING = {Status.SUCCESS, Status.SKIPPED}


def shorten(value, limit=1500):
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text) - limit} more characters)"


def main():
    base, out = sys.argv[1], sys.argv[2]
    token = os.environ["SCIM_TOKEN"]
    http = Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    results = check_server(SyncSCIMClient(http))

    records = []
    for r in results:
        records.append({
            "status": r.status.name,
            "title": r.title,
            "resource_type": r.resource_type,
            "tags": sorted(r.tags),
            "reason": r.reason,
            "data": None if r.status in PASSING else shorten(r.data),
        })
        where = f" [{r.resource_type}]" if r.resource_type else ""
        print(f"{r.status.name:<8} {r.title}{where}")
        if r.reason:
            print("         " + r.reason.replace("\n", "\n         "))
        if r.status not in PASSING and r.data is not None:
            print("         data: " + shorten(r.data).replace("\n", "\n         "))
    with open(out, "w") as f:
        json.dump(records, f, indent=2)

    counts = Counter(r["status"] for r in records)
    print("scim2-tester: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) + f" ({len(records)} results)")
    return 0 if records and all(r.status in PASSING for r in results) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as exc:  # a crash of the tester itself, not a finding
        print(f"scim2-tester: the run broke: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(2)
