"""SQLite and PostgreSQL give the same answers for the same content.

Needs a PostgreSQL URL in TEST_POSTGRES_URL; `make test` starts one with scripts/postgres.sh. By hand:
    export TEST_POSTGRES_URL=$(scripts/postgres.sh start) && .venv/bin/python -m pytest tests/kb
"""
from __future__ import annotations

import os
from dataclasses import asdict

import pytest
from sqlalchemy import func, select

from neurotriage.clinical.profile import PatientProfile
from neurotriage.kb import KnowledgeRepository, load_if_changed, make_engine, make_session_factory
from neurotriage.kb import loader, models
from tests.kb.kb_support import MAIN_CONTENT_DIR, read_yaml, repository_for

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(
    not POSTGRES_URL,
    reason="TEST_POSTGRES_URL is not set: run `export TEST_POSTGRES_URL=$(scripts/postgres.sh start)` to compare "
           "SQLite with PostgreSQL")

PROFILES = [
    PatientProfile(),
    PatientProfile(conditions={"trigeminal_neuralgia"}),
    PatientProfile(conditions={"sciatica", "kidney_disease"}, medications={"tramadol"}),
    PatientProfile(conditions={"diabetes", "heart_disease"}, age_band="65_plus"),
    PatientProfile(conditions={"shingles"}, medications={"sertraline", "phenelzine"}, pregnant=True),
    PatientProfile(conditions={"epilepsy", "liver_disease"}, medications={"morphine"}, breastfeeding=True,
                   age_band="18_to_64"),
]


@pytest.fixture(scope="module")
def repositories(tmp_path_factory) -> dict[str, KnowledgeRepository]:
    sqlite_url = f"sqlite:///{tmp_path_factory.mktemp('parity') / 'knowledge.db'}"
    return {"sqlite": repository_for(MAIN_CONTENT_DIR, sqlite_url),
            "postgresql": repository_for(MAIN_CONTENT_DIR, POSTGRES_URL)}


def _ids(file_name: str) -> list[str]:
    return [record["id"] for record in read_yaml(MAIN_CONTENT_DIR, file_name)]


def test_the_url_really_is_postgresql():
    assert make_engine(POSTGRES_URL).dialect.name == "postgresql"


def test_same_vocabulary(repositories):
    assert repositories["sqlite"].vocabulary() == repositories["postgresql"].vocabulary()


def test_same_therapy_options(repositories):
    for profile in PROFILES:
        answers = {name: [o.to_dict() for o in repo.therapy_options(profile)] for name, repo in repositories.items()}
        assert answers["sqlite"] == answers["postgresql"], profile


def test_same_red_flags(repositories):
    assert repositories["sqlite"].red_flags() == repositories["postgresql"].red_flags()


def test_same_lookups(repositories):
    def lookups(repo: KnowledgeRepository) -> dict:
        return {
            "screening": [asdict(repo.screening_instrument(i)) for i in _ids("screening.yml")],
            "faq": [asdict(repo.faq(i)) for i in _ids("faq.yml")],
            "locale": [asdict(repo.locale(i)) for i in _ids("locales.yml")],
            "therapy": [asdict(repo.therapy(i)) for i in _ids("therapies.yml")],
            "sources": [asdict(s) for s in repo.sources(_ids("sources.yml"))],
        }
    assert lookups(repositories["sqlite"]) == lookups(repositories["postgresql"])


def test_same_row_counts_and_hash_skips_reload(repositories):
    engines = {name: repo._session_factory.kw["bind"] for name, repo in repositories.items()}

    def counts(engine) -> dict[str, int]:
        with engine.connect() as connection:
            return {t.name: connection.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in models.CONTENT_TABLES}
    assert counts(engines["sqlite"]) == counts(engines["postgresql"])
    assert load_if_changed(engines["postgresql"], MAIN_CONTENT_DIR) is False
    assert loader.stored_state(engines["postgresql"])["content_hash"] == loader.content_hash(MAIN_CONTENT_DIR)


def test_loading_twice_on_postgresql_changes_nothing(repositories):
    engine = make_engine(POSTGRES_URL)
    before = KnowledgeRepository(make_session_factory(engine)).therapy_options(PROFILES[2])
    loader.load(engine, MAIN_CONTENT_DIR)
    assert KnowledgeRepository(make_session_factory(engine)).therapy_options(PROFILES[2]) == before
    engine.dispose()
