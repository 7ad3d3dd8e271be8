"""Review packs in PostgreSQL: issued versions, immutable, kept like the monthly report's
(services/core/storage/document_versions.py)."""

from __future__ import annotations

from dataclasses import dataclass

from services.core.reviews.model import ReviewPack
from services.core.storage.document_versions import StoredVersion, VersionTable
from services.core.storage.models import ReviewVersionRow


@dataclass(frozen=True, slots=True)
class StoredPack(StoredVersion):
    @property
    def quarter(self) -> str:
        return self.period

    def pack(self) -> ReviewPack:
        return ReviewPack.model_validate(self.content)


_TABLE = VersionTable(ReviewVersionRow, "quarter", "review", StoredPack)
lock_pack = _TABLE.lock
versions = _TABLE.versions
version = _TABLE.version
next_version = _TABLE.next_version
add_version = _TABLE.add_version
