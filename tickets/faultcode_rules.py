"""The usual parts of a fault code, as people write them in the library's spreadsheet (issue #18 item 6).

One cell lists the parts a fault usually needs: `编号:名称×数量` separated by `;` — for example
`AC-CMP-01:压缩机×1; AC-CAP-02:启动电容×2`. The code and the quantity may be left out (`启动电容`
is one part without a code). Pure: strings in, frozen values out, no ORM.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aftersales.bounds import MAX_QUANTITY

SEPARATOR = ";"
_QUANTITY = re.compile(r"^(?P<part>.*?)\s*[×xX*]\s*(?P<quantity>\d+)\s*$")


class UsualPartsError(ValueError):
    """A cell that does not read as a list of parts; the message is the item at fault."""


@dataclass(frozen=True)
class UsualPart:
    name: str
    quantity: int = 1
    code: str = ""

    def as_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "quantity": self.quantity}


def parse_usual_parts(text: str) -> tuple[UsualPart, ...]:
    """`AC-CMP-01:压缩机×1; 启动电容×2` → the parts; UsualPartsError naming the first wrong item."""
    parts = []
    for raw in (text or "").replace(";", SEPARATOR).split(SEPARATOR):
        item = raw.strip()
        if not item:
            continue
        quantity = 1
        match = _QUANTITY.match(item)
        if match:
            item, quantity = match["part"].strip(), int(match["quantity"])
        if not 1 <= quantity <= MAX_QUANTITY:
            raise UsualPartsError(raw.strip())
        code, _colon, name = item.replace(":", ":").partition(":")
        if not _colon:
            code, name = "", code
        code, name = code.strip(), name.strip()
        if not name:
            raise UsualPartsError(raw.strip())
        if len(code) > 40 or len(name) > 100:
            raise UsualPartsError(raw.strip())
        parts.append(UsualPart(name=name, quantity=quantity, code=code))
    return tuple(parts)


def format_usual_parts(parts) -> str:
    """The inverse of parse_usual_parts, for the export and the admin."""
    items = []
    for part in parts:
        part = part if isinstance(part, UsualPart) else UsualPart(**part)
        items.append(f"{part.code + ':' if part.code else ''}{part.name}×{part.quantity}")
    return "; ".join(items)


def parts_from_json(value) -> tuple[UsualPart, ...]:
    """The stored JSON list back as values (the model keeps `as_dict()` of each)."""
    return tuple(UsualPart(**item) for item in value or [])
