import pytest

from accounts.models import Role
from parts import ledger
from parts.models import MovementKind
from tests.parts.factories import PartFactory, WarehouseFactory


@pytest.fixture
def keeper(persona):
    return persona(Role.WAREHOUSE)


@pytest.fixture
def store(branch_a):
    return WarehouseFactory(code="SH-STORE", name="上海服务站仓库", branch=branch_a)


@pytest.fixture
def van(branch_a, technician):
    return WarehouseFactory(
        code="VAN-TECH", name="李强车载库", branch=branch_a, kind="van", technician=technician
    )


@pytest.fixture
def part(db):
    return PartFactory(code="CMP-35", name="压缩机")


@pytest.fixture
def stock(keeper):
    """stock(part, warehouse, n): put n units on hand through a receipt movement."""

    def put(part, warehouse, quantity):
        ledger.move(
            [ledger.Change(part, warehouse, quantity)],
            kind=MovementKind.RECEIPT,
            actor=keeper,
            reference="TEST",
        )

    return put
