"""Free text people type into the API (titles, notes, decisions): what may be stored.

PostgreSQL refuses NUL in text and JSONB, so such input failed deep in the database as a 500;
other control characters (except tab and line breaks) forge lines in logs and reports. They
are refused at the edge with a reason instead. (Lone UTF-16 surrogates, which no encoder can
store either, pydantic already refuses as invalid Unicode.)
"""

from __future__ import annotations

import re

from pydantic import AfterValidator

_REFUSED = re.compile(r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]")


def _storable(value: str) -> str:
    found = _REFUSED.search(value)
    if found is not None:
        raise ValueError(f"control character U+{ord(found.group()):04X} at {found.start()}")
    return value


# Add to any `Annotated[str, ...]` that is stored: `Annotated[str, Field(...), STORABLE]`.
STORABLE = AfterValidator(_storable)
