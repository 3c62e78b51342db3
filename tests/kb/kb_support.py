"""Helpers shared by the knowledge-base tests (a uniquely named module, so it never clashes with other conftests)."""
from __future__ import annotations

from pathlib import Path

import yaml

from neurotriage.kb import KnowledgeRepository, load, make_engine, make_session_factory
from neurotriage.kb.loader import CONTENT_FILES

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FIXTURE_DIR = Path(__file__).resolve().parent / "fixtures" / "content"
REAL_DIR = PROJECT_ROOT / "knowledge"
REAL_CONTENT_MISSING = "knowledge/*.yml not written yet: the real-content tests need the content files"


def real_content_present() -> bool:
    """The real content counts as present once any content file exists (from then on all of it must validate)."""
    return any((REAL_DIR / name).is_file() for name in CONTENT_FILES)


# The content the property and per-rule tests run on: the real one when present, else the fixture.
MAIN_CONTENT_DIR = REAL_DIR if real_content_present() else FIXTURE_DIR
MAIN_CONTENT_LABEL = "real" if MAIN_CONTENT_DIR == REAL_DIR else "fixture"


def read_yaml(content_dir: Path, file_name: str) -> list[dict]:
    return yaml.safe_load((content_dir / file_name).read_text(encoding="utf-8")) or []


def repository_for(content_dir: Path, database_url: str) -> KnowledgeRepository:
    engine = make_engine(database_url)
    load(engine, content_dir)
    return KnowledgeRepository(make_session_factory(engine))
