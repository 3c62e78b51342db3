"""The staff web view of stored triage summaries and consultation requests (`python -m neurotriage.staff`)."""
from neurotriage.staff.server import StaffParams, make_server, main

__all__ = ["StaffParams", "make_server", "main"]
