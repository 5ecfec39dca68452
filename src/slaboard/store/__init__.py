"""Everything that touches SQLite. Returns domain models; nothing else writes SQL."""

from slaboard.store.connection import ConflictError, StoreError
from slaboard.store.schema import SCHEMA_VERSION
from slaboard.store.store import Attachment, LoadSummary, MailState, OutcomeRow, ReportGroup, Store, iso

__all__ = ["SCHEMA_VERSION", "Attachment", "ConflictError", "LoadSummary", "MailState", "OutcomeRow", "ReportGroup", "Store", "StoreError", "iso"]
