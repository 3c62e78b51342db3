"""Read access to the knowledge database for the actions and the NLU builders (no Rasa imports).

Answers are frozen dataclasses, never ORM objects, so they stay valid after the session closes and callers cannot
change shared state. What every conversation needs (vocabulary, therapies and their rules, red flags) is read once
and kept in memory; call `refresh()` after loading new content into a running process.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from neurotriage.clinical.profile import PatientProfile
from neurotriage.clinical.therapy_matching import LINE_RANK, Rule, TherapyCatalog, TherapyOption, TherapyRecord
from neurotriage.kb import models

TRIAGE_ORDER = {"emergency": 0, "urgent": 1, "consultation": 2}
ENTITY_TABLES = {
    "symptom": models.Symptom,
    "condition": models.Condition,
    "medication": models.Medication,
    "therapy": models.Therapy,
    "body_part": models.BodyPart,
}


@dataclass(frozen=True)
class Source:
    id: str
    citation: str
    url: Optional[str]


@dataclass(frozen=True)
class RedFlag:
    id: str
    name: str
    triage_level: str
    advice: str
    phrases: tuple[str, ...]
    triggers: tuple[tuple[tuple[str, ...], ...], ...]  # alternatives -> groups -> terms
    source_ids: tuple[str, ...]
    review: str
    question: Optional[str] = None  # asked where one of the ask_when alternatives matches the presentation
    ask_when: tuple[dict, ...] = ()
    scope: str = "sentence"  # "message": the trigger groups may be in different sentences of one message


@dataclass(frozen=True)
class ScreeningItem:
    id: str
    question: str
    symptom_id: Optional[str]
    yes_points: int
    no_points: int


@dataclass(frozen=True)
class ScreeningInstrument:
    id: str
    name: str
    min_score: int
    max_score: int
    threshold: int
    attribution: Optional[str]
    items: tuple[ScreeningItem, ...]
    source_ids: tuple[str, ...]
    review: str


@dataclass(frozen=True)
class Faq:
    id: str
    title: str
    answer: str
    clinical: bool
    source_ids: tuple[str, ...]
    review: str


@dataclass(frozen=True)
class Locale:
    id: str
    emergency_number: str
    urgent_number: str
    crisis_line: str
    source_ids: tuple[str, ...]
    review: str


@dataclass(frozen=True)
class TherapyInfo:
    """Everything the bot may say about one therapy (knowledge/SCHEMA.md, therapies.yml)."""

    id: str
    name: str
    category: str
    guideline_line: str
    guideline_basis: Optional[str]
    condition_lines: dict[str, str]
    indications: tuple[str, ...]
    medication_ids: tuple[str, ...]
    nnt: Optional[str]
    description: Optional[str]
    what_to_expect: Optional[str]
    first_step: Optional[str]
    source_ids: tuple[str, ...]
    review: str


def _faq_record(session: Session, faq: models.Faq) -> Faq:
    return Faq(id=faq.id, title=faq.title, answer=faq.answer, clinical=faq.clinical,
               source_ids=_source_ids_of(session, models.faq_sources, faq.id), review=faq.review)


def source_ids_by_owner(session: Session, link: Table) -> dict[Any, tuple[str, ...]]:
    """Source ids per owner (fact id), in the order the content lists them."""
    query = select(link.c.owner_id, link.c.source_id).order_by(link.c.owner_id, link.c.position)
    grouped: dict[Any, list[str]] = {}
    for owner, source_id in session.execute(query):
        grouped.setdefault(owner, []).append(source_id)
    return {owner: tuple(ids) for owner, ids in grouped.items()}


def _source_ids_of(session: Session, link: Table, owner_id: str) -> tuple[str, ...]:
    query = select(link.c.source_id).where(link.c.owner_id == owner_id).order_by(link.c.position)
    return tuple(session.execute(query).scalars())


def _pairs(session: Session, table: Table, key: str, value: str, *order_by: str) -> dict[str, list[str]]:
    """Values per key, in `order_by` order (callers that need sorted text sort in Python: collations differ)."""
    query = select(table.c[key], table.c[value]).order_by(table.c[key], *(table.c[column] for column in order_by))
    grouped: dict[str, list[str]] = {}
    for owner, item in session.execute(query):
        grouped.setdefault(owner, []).append(item)
    return grouped


@dataclass(frozen=True)
class _Snapshot:
    """The static part of the content, read in one go."""

    vocabulary: dict[str, dict[str, tuple[str, ...]]]
    catalog: TherapyCatalog
    therapies: dict[str, TherapyInfo]
    red_flags: tuple[RedFlag, ...]


class KnowledgeRepository:
    @classmethod
    def from_url(cls, database_url: str) -> "KnowledgeRepository":
        """The repository over the knowledge database at this SQLAlchemy URL."""
        from neurotriage.kb.session import make_engine, make_session_factory

        return cls(make_session_factory(make_engine(database_url)))

    def __init__(self, session_factory: Callable[[], Session]) -> None:
        self._session_factory = session_factory
        self._snapshot: Optional[_Snapshot] = None
        self._lock = threading.Lock()

    # --- cached, static content -------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Forget the cached content (after `load` replaced it)."""
        with self._lock:
            self._snapshot = None

    def _static(self) -> _Snapshot:
        snapshot = self._snapshot
        if snapshot is None:
            with self._lock:  # the action server calls from several threads; build once
                if self._snapshot is None:
                    with self._session_factory() as session:
                        self._snapshot = self._read_snapshot(session)
                snapshot = self._snapshot
        return snapshot

    def _read_snapshot(self, session: Session) -> _Snapshot:
        therapies = self._read_therapies(session)
        return _Snapshot(
            vocabulary=self._read_vocabulary(session),
            catalog=TherapyCatalog(
                therapies=[TherapyRecord(id=t.id, name=t.name, category=t.category, guideline_line=t.guideline_line,
                                         source_ids=t.source_ids, condition_lines=t.condition_lines,
                                         indications=frozenset(t.indications), review=t.review)
                           for t in therapies.values()],
                rules=self._read_rules(session),
                medication_classes=_pairs(session, models.medication_class_members, "medication_id", "class_id"),
            ),
            therapies=therapies,
            red_flags=self._read_red_flags(session),
        )

    @staticmethod
    def _read_vocabulary(session: Session) -> dict[str, dict[str, tuple[str, ...]]]:
        vocabulary: dict[str, dict[str, list[str]]] = {
            entity_type: {entity_id: [] for entity_id in session.execute(select(model.id)).scalars()}
            for entity_type, model in ENTITY_TABLES.items()
        }
        rows = session.execute(select(models.Synonym.entity_type, models.Synonym.canonical_id, models.Synonym.phrase))
        for entity_type, canonical_id, phrase in rows:
            # a combination product's id ("codeine|paracetamol") is no row of its own
            vocabulary[entity_type].setdefault(canonical_id, []).append(phrase)
        # sorted in Python: database collations differ, answers must not
        return {entity_type: {entity_id: tuple(sorted(phrases)) for entity_id, phrases in sorted(by_id.items())}
                for entity_type, by_id in vocabulary.items()}

    @staticmethod
    def _read_therapies(session: Session) -> dict[str, TherapyInfo]:
        sources = source_ids_by_owner(session, models.therapy_sources)
        medications = _pairs(session, models.therapy_medications, "therapy_id", "medication_id", "position")
        indications = _pairs(session, models.therapy_indications, "therapy_id", "condition_id")
        lines = session.execute(select(models.therapy_condition_lines)).all()
        condition_lines: dict[str, dict[str, str]] = {}
        for therapy_id, condition_id, line in sorted(lines):
            condition_lines.setdefault(therapy_id, {})[condition_id] = line
        therapies = session.execute(select(models.Therapy).order_by(models.Therapy.id)).scalars()
        return {t.id: TherapyInfo(
            id=t.id, name=t.name, category=t.category, guideline_line=t.guideline_line,
            guideline_basis=t.guideline_basis, condition_lines=condition_lines.get(t.id, {}),
            indications=tuple(sorted(indications.get(t.id, ()))), medication_ids=tuple(medications.get(t.id, ())),
            nnt=t.nnt, description=t.description, what_to_expect=t.what_to_expect, first_step=t.first_step,
            source_ids=sources.get(t.id, ()), review=t.review) for t in therapies}

    @staticmethod
    def _read_rules(session: Session) -> list[Rule]:
        sources = source_ids_by_owner(session, models.rule_sources)
        rules = session.execute(select(models.ContraindicationRule).order_by(models.ContraindicationRule.id)).scalars()
        return [Rule(therapy_id=r.therapy_id, when_key=r.when_key, when_value=r.when_value, kind=r.kind,
                     severity=r.severity, warning=r.warning, source_ids=sources.get(r.id, ()), review=r.review)
                for r in rules]

    @staticmethod
    def _read_red_flags(session: Session) -> tuple[RedFlag, ...]:
        sources = source_ids_by_owner(session, models.red_flag_sources)
        phrases = _pairs(session, models.RedFlagPhrase.__table__, "red_flag_id", "phrase", "position")
        flags = session.execute(select(models.RedFlag)).scalars()
        red_flags = [RedFlag(
            id=f.id, name=f.name, triage_level=f.triage_level, advice=f.advice,
            phrases=tuple(phrases.get(f.id, ())),
            triggers=tuple(tuple(tuple(group) for group in alternative) for alternative in json.loads(f.triggers_json)),
            source_ids=sources.get(f.id, ()), review=f.review, question=f.question,
            ask_when=tuple(json.loads(f.ask_when_json)) if f.ask_when_json else (),
            scope=f.scope or "sentence") for f in flags]
        # most urgent first, so a detector that stops at the first match picks the most urgent flag
        return tuple(sorted(red_flags, key=lambda flag: (TRIAGE_ORDER.get(flag.triage_level, 99), flag.id)))

    def vocabulary(self) -> dict[str, dict[str, list[str]]]:
        """Per entity type, canonical id -> sorted phrases (names, synonyms, brands), for the NLU builders."""
        return {entity_type: {entity_id: list(phrases) for entity_id, phrases in by_id.items()}
                for entity_type, by_id in self._static().vocabulary.items()}

    def therapy_options(self, profile: PatientProfile) -> list[TherapyOption]:
        """Options for this patient, ranked by guideline line, each with suitability and warnings."""
        return self._static().catalog.options_for(profile)

    def medication_classes(self, medication_id: str) -> tuple[str, ...]:
        """The classes of one medication (e.g. pregabalin -> gabapentinoid, cns_depressant, ...)."""
        return tuple(self._static().catalog.medication_classes.get(medication_id, ()))

    def therapy(self, therapy_id: str) -> Optional[TherapyInfo]:
        return self._static().therapies.get(therapy_id)

    def therapy_for_medication(self, medication_id: str) -> Optional[TherapyInfo]:
        """The therapy a medication is given as; when several (capsaicin cream and patch), the best-ranked one."""
        candidates = [t for t in self._static().therapies.values() if medication_id in t.medication_ids]
        return min(candidates, key=lambda t: (LINE_RANK[t.guideline_line], t.name.casefold(), t.id), default=None)

    def red_flags(self) -> list[RedFlag]:
        return list(self._static().red_flags)

    def red_flag(self, red_flag_id: str) -> Optional[RedFlag]:
        return next((flag for flag in self._static().red_flags if flag.id == red_flag_id), None)

    # --- looked up when asked ---------------------------------------------------------------------------------

    def screening_instrument(self, instrument_id: str) -> Optional[ScreeningInstrument]:
        with self._session_factory() as session:
            instrument = session.get(models.ScreeningInstrument, instrument_id)
            if instrument is None:
                return None
            items = session.execute(select(models.ScreeningItem)
                                    .where(models.ScreeningItem.instrument_id == instrument_id)
                                    .order_by(models.ScreeningItem.position)).scalars()
            return ScreeningInstrument(
                id=instrument.id, name=instrument.name, min_score=instrument.min_score,
                max_score=instrument.max_score, threshold=instrument.threshold, attribution=instrument.attribution,
                items=tuple(ScreeningItem(id=i.id, question=i.question, symptom_id=i.symptom_id,
                                          yes_points=i.yes_points, no_points=i.no_points) for i in items),
                source_ids=_source_ids_of(session, models.screening_sources, instrument_id),
                review=instrument.review)

    def faq(self, faq_id: str) -> Optional[Faq]:
        with self._session_factory() as session:
            faq = session.get(models.Faq, faq_id)
            return None if faq is None else _faq_record(session, faq)

    def faqs(self) -> list[Faq]:
        with self._session_factory() as session:
            return [_faq_record(session, faq) for faq in session.scalars(select(models.Faq).order_by(models.Faq.id))]

    def locale(self, locale_id: str) -> Optional[Locale]:
        with self._session_factory() as session:
            locale = session.get(models.Locale, locale_id)
            if locale is None:
                return None
            return Locale(id=locale.id, emergency_number=locale.emergency_number, urgent_number=locale.urgent_number,
                          crisis_line=locale.crisis_line,
                          source_ids=_source_ids_of(session, models.locale_sources, locale_id),
                          review=locale.review)

    def sources(self, source_ids: Iterable[str]) -> list[Source]:
        """The sources for these ids, in the order asked, each once; unknown ids are left out."""
        wanted = list(dict.fromkeys(source_ids))
        if not wanted:
            return []
        with self._session_factory() as session:
            found = {s.id: Source(id=s.id, citation=s.citation, url=s.url) for s in session.execute(
                select(models.Source).where(models.Source.id.in_(wanted))).scalars()}
        return [found[source_id] for source_id in wanted if source_id in found]
