"""`make demo` prints the current quarter's review pack URL (scripts/demo.sh)."""

from __future__ import annotations

import re
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from services.core.reviews.quarters import quarter_of

DEMO = Path(__file__).resolve().parents[2] / "scripts" / "demo.sh"


def test_the_demo_prints_this_quarters_review_pack_url() -> None:
    script = DEMO.read_text()
    (line,) = [x for x in script.splitlines() if x.startswith("QUARTER=")]

    quarter = subprocess.run(
        ["bash", "-c", f'{line}; echo "$QUARTER"'], check=True, capture_output=True, text=True
    ).stdout.strip()

    assert quarter == quarter_of(datetime.now(ZoneInfo("Europe/Berlin")).date())
    assert re.search(r"\$API_URL/v1/agreements/acme-helpdesk/reviews/\$QUARTER\.html", script)
