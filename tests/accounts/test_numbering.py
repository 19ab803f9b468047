import datetime

import pytest

from accounts.models import DocumentSequence
from tests.accounts.factories import BranchFactory


@pytest.mark.django_db
def test_numbers_count_up_per_kind_branch_and_day():
    shanghai, hangzhou = BranchFactory(code="SH"), BranchFactory(code="HZ")
    day = datetime.date(2026, 11, 27)
    assert [DocumentSequence.next_number(kind="ticket", branch=shanghai, day=day) for _ in range(3)] == [
        1,
        2,
        3,
    ]
    assert DocumentSequence.next_number(kind="ticket", branch=hangzhou, day=day) == 1
    assert DocumentSequence.next_number(kind="receipt", branch=shanghai, day=day) == 1
    assert (
        DocumentSequence.next_number(kind="ticket", branch=shanghai, day=day + datetime.timedelta(days=1))
        == 1
    )


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_number_is_issued_again_so_there_is_no_gap():
    from django.db import transaction

    branch = BranchFactory(code="SH")
    day = datetime.date(2026, 11, 27)
    with pytest.raises(RuntimeError), transaction.atomic():
        DocumentSequence.next_number(kind="ticket", branch=branch, day=day)
        raise RuntimeError("the request failed after taking a number")
    assert DocumentSequence.next_number(kind="ticket", branch=branch, day=day) == 1
