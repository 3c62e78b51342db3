"""SQLAlchemy store for triage summaries and consultation requests (SQLite by default, PostgreSQL by URL)."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import List, Optional

from sqlalchemy import Column, DateTime, ForeignKey, String, Text, delete, select
from sqlalchemy.orm import declarative_base

from neurotriage.kb.session import make_engine, make_session_factory
from neurotriage.privacy.redaction import redact_value

Base = declarative_base()


class TriageSummaryRow(Base):
    __tablename__ = "triage_summaries"
    id = Column(String(36), primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    created_at = Column(DateTime(timezone=True), nullable=False, index=True)
    triage_level = Column(String(20), nullable=False, index=True)
    payload = Column(Text, nullable=False)  # the contract's JSON, exactly as sent to the patient


class ConsultationRequestRow(Base):
    __tablename__ = "consultation_requests"
    id = Column(String(36), primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    summary_id = Column(String(36), ForeignKey("triage_summaries.id", ondelete="CASCADE"), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, index=True)
    triage_level = Column(String(20), nullable=True)
    status = Column(String(20), nullable=False, default="new")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class RecordsStore:
    def __init__(self, database_url: str) -> None:
        self._engine = make_engine(database_url)
        Base.metadata.create_all(self._engine)
        self._sessions = make_session_factory(self._engine)

    def save_summary(self, summary: dict) -> str:
        """Stores the summary with personal identifiers in its text redacted; the conversation id is kept as it is,
        because staff and the erasure command find the conversation by it."""
        summary_id = str(uuid.uuid4())
        stored = {**redact_value(summary), "conversation_id": summary["conversation_id"]}
        with self._sessions.begin() as session:
            session.add(TriageSummaryRow(
                id=summary_id, conversation_id=summary["conversation_id"],
                created_at=datetime.fromisoformat(summary["created_at"]), triage_level=summary["triage_level"],
                payload=json.dumps(stored)))
        return summary_id

    def latest_summary_id(self, conversation_id: str) -> Optional[str]:
        with self._sessions() as session:
            return session.scalars(select(TriageSummaryRow.id).where(TriageSummaryRow.conversation_id == conversation_id)
                                   .order_by(TriageSummaryRow.created_at.desc())).first()

    def summary(self, summary_id: str) -> Optional[dict]:
        with self._sessions() as session:
            row = session.get(TriageSummaryRow, summary_id)
            return None if row is None else {"id": row.id, **json.loads(row.payload)}

    def summaries(self, triage_level: Optional[str] = None, since: Optional[datetime] = None,
                  until: Optional[datetime] = None) -> List[dict]:
        """Newest first: id, conversation, time and level (the full payload is read with summary())."""
        query = select(TriageSummaryRow).order_by(TriageSummaryRow.created_at.desc())
        if triage_level:
            query = query.where(TriageSummaryRow.triage_level == triage_level)
        if since:
            query = query.where(TriageSummaryRow.created_at >= _aware(since))
        if until:
            query = query.where(TriageSummaryRow.created_at < _aware(until))
        with self._sessions() as session:
            return [{"id": r.id, "conversation_id": r.conversation_id, "created_at": _aware(r.created_at).isoformat(),
                     "triage_level": r.triage_level} for r in session.scalars(query)]

    def request_consultation(self, conversation_id: str) -> str:
        """A booking request linked to the conversation's latest summary, for staff to act on."""
        summary_id = self.latest_summary_id(conversation_id)
        level = (self.summary(summary_id) or {}).get("triage_level") if summary_id else None
        request_id = str(uuid.uuid4())
        with self._sessions.begin() as session:
            session.add(ConsultationRequestRow(id=request_id, conversation_id=conversation_id, summary_id=summary_id,
                                               created_at=datetime.now(timezone.utc), triage_level=level, status="new"))
        return request_id

    def consultation_requests(self) -> List[dict]:
        with self._sessions() as session:
            rows = session.scalars(select(ConsultationRequestRow).order_by(ConsultationRequestRow.created_at.desc()))
            return [{"id": r.id, "conversation_id": r.conversation_id, "summary_id": r.summary_id,
                     "created_at": _aware(r.created_at).isoformat(), "triage_level": r.triage_level,
                     "status": r.status} for r in rows]

    def delete_created_before(self, cutoff: datetime) -> int:
        """Removes summaries and requests created before `cutoff` (the retention period); returns how many rows went."""
        with self._sessions.begin() as session:
            removed = session.execute(delete(ConsultationRequestRow).where(
                ConsultationRequestRow.created_at < _aware(cutoff))).rowcount
            removed += session.execute(delete(TriageSummaryRow).where(TriageSummaryRow.created_at < _aware(cutoff))).rowcount
        return removed

    def delete_conversation(self, conversation_id: str) -> int:
        """Removes every record derived from one conversation; returns how many rows went."""
        with self._sessions.begin() as session:
            removed = session.execute(delete(ConsultationRequestRow).where(
                ConsultationRequestRow.conversation_id == conversation_id)).rowcount
            removed += session.execute(delete(TriageSummaryRow).where(
                TriageSummaryRow.conversation_id == conversation_id)).rowcount
        return removed
