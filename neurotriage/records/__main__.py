"""Staff command for stored triage summaries and consultation requests.

    python -m neurotriage.records list [--level urgent] [--since 2026-11-01] [--until 2026-12-01]
    python -m neurotriage.records show SUMMARY_ID
    python -m neurotriage.records requests
    python -m neurotriage.records export-csv --out summaries.csv [--level ...]
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from neurotriage.config import SettingsError, load_settings
from neurotriage.records.export import LEVELS, write_summaries_csv
from neurotriage.records.store import RecordsStore


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m neurotriage.records", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("list", "export-csv"):
        command = commands.add_parser(name)
        command.add_argument("--level", choices=LEVELS)
        command.add_argument("--since", type=datetime.fromisoformat, help="ISO date or time, inclusive")
        command.add_argument("--until", type=datetime.fromisoformat, help="ISO date or time, exclusive")
        if name == "export-csv":
            command.add_argument("--out", required=True)
    commands.add_parser("show").add_argument("summary_id")
    commands.add_parser("requests")
    args = parser.parse_args(argv)
    try:
        store = RecordsStore(load_settings().records_database_url)
    except SettingsError as error:
        print(f"Configuration problem: {error}", file=sys.stderr)
        return 1

    if args.command == "show":
        summary = store.summary(args.summary_id)
        if summary is None:
            print(f"no summary {args.summary_id}", file=sys.stderr)
            return 1
        print(json.dumps(summary, indent=2))
    elif args.command == "requests":
        for request in store.consultation_requests():
            print(f"{request['created_at']}  {request['triage_level'] or '-':<12} {request['conversation_id']}  "
                  f"summary {request['summary_id'] or '-'}  {request['status']}")
    else:
        rows = store.summaries(args.level, args.since, args.until)
        if args.command == "list":
            for row in rows:
                print(f"{row['created_at']}  {row['triage_level']:<12} {row['conversation_id']}  {row['id']}")
            print(f"{len(rows)} summaries")
        else:
            with open(args.out, "w", newline="") as out:
                write_summaries_csv(store, rows, out)
            print(f"{len(rows)} summaries written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
