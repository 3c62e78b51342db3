"""Staff command for patients' data: delete one conversation, or purge what is past RETENTION_DAYS.

    python -m neurotriage.privacy delete CONVERSATION_ID
    python -m neurotriage.privacy purge [--older-than-days N]     (default: RETENTION_DAYS from .env)

Both remove the tracker store's events and the records derived from them (summaries, consultation requests).
"""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta, timezone

from neurotriage.config import SettingsError, load_settings
from neurotriage.privacy.erasure import delete_conversation, purge
from neurotriage.records.store import RecordsStore


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m neurotriage.privacy", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("delete").add_argument("conversation_id")
    commands.add_parser("purge").add_argument("--older-than-days", type=int)
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"Configuration problem: {error}", file=sys.stderr)
        return 1
    records = RecordsStore(settings.records_database_url)
    if args.command == "delete":
        erased = delete_conversation(settings.tracker_store_url, records, args.conversation_id)
        if not erased.conversations:
            print(f"Nothing stored for conversation {args.conversation_id}.")
            return 1
        print(f"Deleted conversation {args.conversation_id}: {erased.events} events, {erased.records} records.")
    else:
        days = args.older_than_days if args.older_than_days is not None else settings.retention_days
        if days < 1:
            print("--older-than-days must be at least 1.", file=sys.stderr)
            return 2
        erased = purge(settings.tracker_store_url, records, datetime.now(timezone.utc) - timedelta(days=days))
        print(f"Purged data older than {days} days: {erased.conversations} conversations, {erased.events} events, "
              f"{erased.records} records.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
