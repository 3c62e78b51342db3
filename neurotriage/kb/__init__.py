"""Knowledge base: SQL models, the content loader and the read-only repository the assistant uses."""
from neurotriage.kb.loader import ContentError, load, load_if_changed
from neurotriage.kb.repository import KnowledgeRepository
from neurotriage.kb.session import make_engine, make_session_factory

__all__ = ["ContentError", "KnowledgeRepository", "load", "load_if_changed", "make_engine", "make_session_factory"]
