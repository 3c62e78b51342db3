"""Command line for the knowledge base.

    python -m neurotriage.kb load [--force]                      validate knowledge/*.yml and load it
    python -m neurotriage.kb export-review --format md|csv --out FILE   the clinical sign-off sheet
    python -m neurotriage.kb stats                               what the database holds, and whether it is current

Every command takes --database-url (default: env DATABASE_URL, else sqlite:///.run/knowledge.db under the project)
and --content-dir (default: knowledge/ of the project). Exit status 1 with the list of problems when the content
does not validate.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from dotenv import load_dotenv
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from neurotriage.kb import models
from neurotriage.kb.loader import DEFAULT_CONTENT_DIR, ContentError, content_hash, load, load_if_changed, stored_state
from neurotriage.kb.review_sheet import build_review_sheet, write_csv, write_markdown
from neurotriage.kb.session import DEFAULT_DATABASE_URL, PROJECT_ROOT, make_engine, make_session_factory


def _shown(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _load(engine: Engine, args: argparse.Namespace) -> int:
    started = time.perf_counter()
    if args.force:
        load(engine, args.content_dir)
    elif not load_if_changed(engine, args.content_dir):
        print(f"Knowledge in {_shown(engine)} is up to date ({content_hash(args.content_dir)[:12]}); nothing to do.")
        return 0
    print(f"Loaded {args.content_dir} into {_shown(engine)} ({stored_state(engine)['content_hash'][:12]}) "
          f"in {time.perf_counter() - started:.2f} s.")
    return 0


def _export_review(engine: Engine, args: argparse.Namespace) -> int:
    load_if_changed(engine, args.content_dir)  # the sheet must show what the files say now
    sheet = build_review_sheet(make_session_factory(engine))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    (write_markdown if args.format == "md" else write_csv)(sheet, args.out)
    print(f"Wrote {len(sheet.rows)} facts to {args.out}.")
    return 0


def _stats(engine: Engine, args: argparse.Namespace) -> int:
    state = stored_state(engine)
    if not state:
        print(f"{_shown(engine)} holds no knowledge yet: run `python -m neurotriage.kb load`.")
        return 1
    current = state.get("content_hash") == content_hash(args.content_dir)
    print(f"Database: {_shown(engine)}")
    freshness = "up to date" if current else "OUT OF DATE: the files changed, run load"
    print(f"Content:  {state.get('content_dir')} ({state.get('content_hash', '')[:12]}, "
          f"loaded {state.get('loaded_at')}, {freshness})")
    with engine.connect() as connection:
        for table in models.CONTENT_TABLES:
            count = connection.execute(select(func.count()).select_from(table)).scalar_one()
            line = f"  {table.name:<32} {count:>6}"
            if "review" in table.c:
                reviews = dict(connection.execute(
                    select(table.c.review, func.count()).group_by(table.c.review)).all())
                line += "   " + "  ".join(f"{status} {reviews.get(status, 0)}" for status in models.REVIEW_STATUSES)
            print(line)
    return 0


def _add_common_options(parser: argparse.ArgumentParser, with_defaults: bool) -> None:
    """The options work before or after the command; only the top level sets defaults, or a command's default
    would overwrite a value given before it."""
    def default(value):
        return value if with_defaults else argparse.SUPPRESS
    parser.add_argument("--database-url", default=default(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)),
                        help="SQLAlchemy URL (default: env DATABASE_URL, else sqlite:///.run/knowledge.db)")
    parser.add_argument("--content-dir", type=Path, default=default(DEFAULT_CONTENT_DIR),
                        help=f"folder with the content YAML files (default: {DEFAULT_CONTENT_DIR})")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m neurotriage.kb", description=__doc__.split("\n\n")[0])
    _add_common_options(parser, with_defaults=True)
    commands = parser.add_subparsers(dest="command", required=True)
    load_command = commands.add_parser("load", help="validate the content and load it")
    load_command.add_argument("--force", action="store_true", help="reload even if the files did not change")
    load_command.set_defaults(run=_load)
    export = commands.add_parser("export-review", help="write the clinical review sheet")
    export.add_argument("--format", choices=("md", "csv"), default="md")
    export.add_argument("--out", type=Path, required=True)
    export.set_defaults(run=_export_review)
    stats = commands.add_parser("stats", help="row counts and review status")
    stats.set_defaults(run=_stats)
    for command in (load_command, export, stats):
        _add_common_options(command, with_defaults=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    engine = make_engine(args.database_url)
    try:
        return args.run(engine, args)
    except ContentError as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        engine.dispose()


if __name__ == "__main__":
    load_dotenv(PROJECT_ROOT / ".env")  # the same DATABASE_URL as the running assistant; the environment still wins
    sys.exit(main())
