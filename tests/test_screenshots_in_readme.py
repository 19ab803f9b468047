"""Issue #16's acceptance: `make screenshots` writes each role's home page, the ticket page, the monthly
PDF's pages and the dispatch board into docs/images/, and the README shows them — every picture it names
is there, and every picture there is shown (a renamed or forgotten file is caught here, not by a reader)."""

from __future__ import annotations

import re
from pathlib import Path

from accounts.models import Role

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"


def shown_in_readme() -> set[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return set(re.findall(r"docs/images/([\w.-]+\.png)", readme))


def test_the_readme_shows_every_picture_and_names_none_that_is_missing():
    on_disk = {path.name for path in IMAGES.glob("*.png")}
    assert shown_in_readme() == on_disk


def test_the_pictures_the_issue_asks_for_are_there():
    wanted = {f"home-{role.value}.png" for role in Role} | {
        "ticket-page.png",
        "dispatch-board.png",
        "monthly-report-1.png",
    }
    assert wanted <= shown_in_readme()
