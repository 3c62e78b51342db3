"""Patient records: triage summaries and consultation requests, stored for clinic staff (separate from the
knowledge base so patient data can be kept, purged and deleted on its own)."""
from neurotriage.records.store import RecordsStore

__all__ = ["RecordsStore"]
