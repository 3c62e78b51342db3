"""SQL tables for the knowledge content (SQLAlchemy 1.4 declarative, used through the 2.0-style API).

Portable between SQLite and PostgreSQL: only generic types, Text for anything a content author writes freely
(VARCHAR lengths are enforced by PostgreSQL only), ids and enums bounded and checked by the loader; lists that are
read whole (red-flag triggers) are JSON text. Every fact row carries `review` (verified | partial | unverified) and its source ids in a link table
with a `position`, so sources come back in the order the content author wrote them.
"""
from __future__ import annotations

from sqlalchemy import (Boolean, CheckConstraint, Column, ForeignKey, Integer, MetaData, String, Table, Text,
                        UniqueConstraint)
from sqlalchemy.orm import declarative_base

REVIEW_STATUSES = ("verified", "partial", "unverified")

# Named constraints keep migrations and error messages the same on SQLite and PostgreSQL.
metadata = MetaData(naming_convention={
    "pk": "pk_%(table_name)s",
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
})
Base = declarative_base(metadata=metadata)

ID_LENGTH = 64  # the loader refuses longer ids: PostgreSQL enforces VARCHAR lengths, SQLite does not
Id = String(ID_LENGTH)


def _review_column() -> Column:
    allowed = ", ".join(f"'{status}'" for status in REVIEW_STATUSES)
    return Column(String(16), CheckConstraint(f"review IN ({allowed})", name="review"), nullable=False)


def _source_link(name: str, owner_table: str) -> Table:
    """Link table owner -> source, one per fact table (keeps real foreign keys on both sides)."""
    return Table(
        name, metadata,
        Column("owner_id", ForeignKey(f"{owner_table}.id", ondelete="CASCADE"), primary_key=True),
        Column("source_id", ForeignKey("sources.id"), primary_key=True),
        Column("position", Integer, nullable=False),
    )


class Source(Base):
    __tablename__ = "sources"
    id = Column(Id, primary_key=True)
    citation = Column(Text, nullable=False)
    url = Column(Text)


class Symptom(Base):
    __tablename__ = "symptoms"
    id = Column(Id, primary_key=True)
    name = Column(Text, nullable=False)
    review = _review_column()


class Condition(Base):
    __tablename__ = "conditions"
    id = Column(Id, primary_key=True)
    name = Column(Text, nullable=False)
    kind = Column(String(16), nullable=False)
    description = Column(Text)
    guideline_note = Column(Text)
    review = _review_column()


class Medication(Base):
    __tablename__ = "medications"
    id = Column(Id, primary_key=True)
    name = Column(Text, nullable=False)
    review = _review_column()


class MedicationBrand(Base):
    __tablename__ = "medication_brands"
    brand = Column(Text, primary_key=True)
    medication_id = Column(ForeignKey("medications.id", ondelete="CASCADE"), nullable=False)


class MedicationClass(Base):
    __tablename__ = "medication_classes"
    id = Column(Id, primary_key=True)


medication_class_members = Table(
    "medication_class_members", metadata,
    Column("medication_id", ForeignKey("medications.id", ondelete="CASCADE"), primary_key=True),
    Column("class_id", ForeignKey("medication_classes.id", ondelete="CASCADE"), primary_key=True),
)


class Therapy(Base):
    __tablename__ = "therapies"
    id = Column(Id, primary_key=True)
    name = Column(Text, nullable=False)
    category = Column(String(16), nullable=False)
    guideline_line = Column(String(16), nullable=False)
    guideline_basis = Column(Text)
    nnt = Column(Text)
    description = Column(Text)
    what_to_expect = Column(Text)
    first_step = Column(Text)
    review = _review_column()


therapy_medications = Table(
    "therapy_medications", metadata,
    Column("therapy_id", ForeignKey("therapies.id", ondelete="CASCADE"), primary_key=True),
    Column("medication_id", ForeignKey("medications.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, nullable=False),
)

therapy_indications = Table(
    "therapy_indications", metadata,
    Column("therapy_id", ForeignKey("therapies.id", ondelete="CASCADE"), primary_key=True),
    Column("condition_id", ForeignKey("conditions.id", ondelete="CASCADE"), primary_key=True),
)

therapy_condition_lines = Table(
    "therapy_condition_lines", metadata,
    Column("therapy_id", ForeignKey("therapies.id", ondelete="CASCADE"), primary_key=True),
    Column("condition_id", ForeignKey("conditions.id", ondelete="CASCADE"), primary_key=True),
    Column("guideline_line", String(16), nullable=False),
)


class ContraindicationRule(Base):
    """One row per therapy after expanding a contraindications.yml entry; `entry` is its 1-based position there."""

    __tablename__ = "contraindication_rules"
    id = Column(Integer, primary_key=True, autoincrement=True)
    entry = Column(Integer, nullable=False)
    therapy_id = Column(ForeignKey("therapies.id", ondelete="CASCADE"), nullable=False, index=True)
    when_key = Column(String(32), nullable=False)
    when_value = Column(Id, nullable=False)
    kind = Column(String(32), nullable=False)
    severity = Column(String(16), nullable=False)
    warning = Column(Text, nullable=False)
    review = _review_column()


class RedFlag(Base):
    __tablename__ = "red_flags"
    id = Column(Id, primary_key=True)
    name = Column(Text, nullable=False)
    triage_level = Column(String(16), nullable=False)
    advice = Column(Text, nullable=False)
    triggers_json = Column(Text, nullable=False)  # [[[term, ...], [term, ...]], ...]: alternatives of groups
    question = Column(Text)  # asked where ask_when matches the patient's presentation
    ask_when_json = Column(Text)  # [{"conditions": [...], "body_parts": [...]}, ...]: alternatives
    scope = Column(String(16))  # "message" or "sentence" (the default): where the trigger groups must all be
    review = _review_column()


class RedFlagPhrase(Base):
    __tablename__ = "red_flag_phrases"
    id = Column(Integer, primary_key=True, autoincrement=True)
    red_flag_id = Column(ForeignKey("red_flags.id", ondelete="CASCADE"), nullable=False, index=True)
    position = Column(Integer, nullable=False)
    phrase = Column(Text, nullable=False)


class BodyPart(Base):
    __tablename__ = "body_parts"
    id = Column(Id, primary_key=True)
    name = Column(Text, nullable=False)
    review = _review_column()


class Synonym(Base):
    """Every phrase a patient may use for an entity (its name, synonyms, brands); one entity per phrase."""

    __tablename__ = "synonyms"
    id = Column(Integer, primary_key=True, autoincrement=True)
    entity_type = Column(String(16), nullable=False)
    phrase = Column(Text, nullable=False, unique=True)
    canonical_id = Column(Id, nullable=False)


class Locale(Base):
    __tablename__ = "locales"
    id = Column(Id, primary_key=True)
    emergency_number = Column(Text, nullable=False)
    urgent_number = Column(Text, nullable=False)
    crisis_line = Column(Text, nullable=False)
    review = _review_column()


class ScreeningInstrument(Base):
    __tablename__ = "screening_instruments"
    id = Column(Id, primary_key=True)
    name = Column(Text, nullable=False)
    min_score = Column(Integer, nullable=False)
    max_score = Column(Integer, nullable=False)
    threshold = Column(Integer, nullable=False)
    attribution = Column(Text)
    review = _review_column()


class ScreeningItem(Base):
    __tablename__ = "screening_items"
    id = Column(Id, primary_key=True)
    instrument_id = Column(ForeignKey("screening_instruments.id", ondelete="CASCADE"), nullable=False, index=True)
    position = Column(Integer, nullable=False)
    symptom_id = Column(ForeignKey("symptoms.id"))
    question = Column(Text, nullable=False)
    yes_points = Column(Integer, nullable=False)
    no_points = Column(Integer, nullable=False)
    __table_args__ = (UniqueConstraint("instrument_id", "position"),)


class Faq(Base):
    __tablename__ = "faqs"
    id = Column(Id, primary_key=True)
    title = Column(Text, nullable=False)
    answer = Column(Text, nullable=False)
    clinical = Column(Boolean, nullable=False)
    review = _review_column()


class ContentState(Base):
    """Key/value facts about the loaded content: its hash, the schema version, when it was loaded."""

    __tablename__ = "content_state"
    key = Column(String(32), primary_key=True)
    value = Column(Text, nullable=False)


symptom_sources = _source_link("symptom_sources", "symptoms")
condition_sources = _source_link("condition_sources", "conditions")
medication_sources = _source_link("medication_sources", "medications")
therapy_sources = _source_link("therapy_sources", "therapies")
rule_sources = _source_link("contraindication_rule_sources", "contraindication_rules")
red_flag_sources = _source_link("red_flag_sources", "red_flags")
locale_sources = _source_link("locale_sources", "locales")
screening_sources = _source_link("screening_instrument_sources", "screening_instruments")
faq_sources = _source_link("faq_sources", "faqs")

CONTENT_TABLES = [table for table in metadata.sorted_tables if table.name != ContentState.__tablename__]
