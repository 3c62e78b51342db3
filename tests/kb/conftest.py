"""Shared fixtures for the knowledge-base tests.

Two content sets: the small fixture under tests/kb/fixtures/content (always there, so the tests never depend on
the real content being finished) and the real knowledge/ folder (its tests skip only while it has no files yet).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from neurotriage.kb import KnowledgeRepository
from tests.kb.kb_support import (FIXTURE_DIR, MAIN_CONTENT_DIR, REAL_CONTENT_MISSING, REAL_DIR, real_content_present,
                                 repository_for)


def _sqlite_repository(tmp_path_factory, content_dir: Path, name: str) -> KnowledgeRepository:
    path = tmp_path_factory.mktemp(name) / "knowledge.db"
    return repository_for(content_dir, f"sqlite:///{path}")


@pytest.fixture(scope="session")
def fixture_repo(tmp_path_factory) -> KnowledgeRepository:
    return _sqlite_repository(tmp_path_factory, FIXTURE_DIR, "fixture_db")


@pytest.fixture(scope="session")
def real_repo(tmp_path_factory) -> KnowledgeRepository:
    if not real_content_present():
        pytest.skip(REAL_CONTENT_MISSING)
    return _sqlite_repository(tmp_path_factory, REAL_DIR, "real_db")


@pytest.fixture(scope="session")
def main_repo(tmp_path_factory) -> KnowledgeRepository:
    """The real content when present, else the fixture."""
    return _sqlite_repository(tmp_path_factory, MAIN_CONTENT_DIR, "main_db")
