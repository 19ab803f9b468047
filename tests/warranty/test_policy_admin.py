"""Editing a warranty policy in the admin: terms the rules engine would refuse are refused on the form."""

from __future__ import annotations

import pytest
from django import forms
from django.db import IntegrityError, transaction
from django.urls import reverse

from warranty.models import WarrantyPolicy

FAILED_REPAIRS_ERROR = "“修理几次仍有故障可选退换”至少为 1 次;不适用时请留空。"
SUBSET_ERROR = "须为“排除退换货的情形”的子集。"


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(
        django_user_model.objects.create_superuser("root", "root@example.cn", "pw-for-tests-1")
    )
    return client


def form_data(client, url: str, **changes) -> dict:
    """The admin form as the page shows it, with `changes` typed over it."""
    form = client.get(url).context["adminform"].form
    values = {name: form[name].value() for name in form.fields}
    # A browser sends nothing for a group of checkboxes none of which is checked.
    values = {
        name: value
        for name, value in values.items()
        if value or not isinstance(form.fields[name], forms.MultipleChoiceField)
    }
    return {**{name: "" if value is None else value for name, value in values.items()}, **changes}


def policy_state(slug: str) -> tuple:
    policy = WarrantyPolicy.objects.get(slug=slug)
    return policy.failed_repairs_for_choice, policy.exclusions_without_fault_only, policy.version


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"failed_repairs_for_choice": "0"}, "failed_repairs_for_choice", FAILED_REPAIRS_ERROR),
        ({"exclusions_without_fault_only": ["gift"]}, "exclusions_without_fault_only", SUBSET_ERROR),
    ],
    ids=["zero failed repairs", "not a subset"],
)
def test_terms_the_rules_refuse_are_refused_with_a_message_and_nothing_is_saved(
    admin_client, changes, field, message
):
    url = reverse(
        "admin:warranty_warrantypolicy_change", args=[WarrantyPolicy.objects.get(slug="cn-national").pk]
    )
    before = policy_state("cn-national")

    response = admin_client.post(url, form_data(admin_client, url, **changes))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {field: [message]}
    assert message in response.content.decode()
    assert policy_state("cn-national") == before


@pytest.mark.django_db
def test_the_same_form_with_a_valid_threshold_is_saved_as_a_new_version(admin_client):
    """The refusal above is the rule's, not a form the test filled in wrong."""
    url = reverse(
        "admin:warranty_warrantypolicy_change", args=[WarrantyPolicy.objects.get(slug="cn-national").pk]
    )
    _threshold, exclusions, version = policy_state("cn-national")

    response = admin_client.post(url, form_data(admin_client, url, failed_repairs_for_choice="1"))

    assert response.status_code == 302
    assert policy_state("cn-national") == (1, exclusions, version + 1)


@pytest.mark.django_db
def test_a_new_policy_with_zero_failed_repairs_is_not_created(admin_client):
    url = reverse("admin:warranty_warrantypolicy_add")
    data = form_data(
        admin_client, url, slug="shop-x", name="门店 X", free_repair_amount="6", failed_repairs_for_choice="0"
    )

    response = admin_client.post(url, data)

    assert response.context["adminform"].form.errors == {"failed_repairs_for_choice": [FAILED_REPAIRS_ERROR]}
    assert not WarrantyPolicy.objects.filter(slug="shop-x").exists()
    assert admin_client.post(url, {**data, "failed_repairs_for_choice": ""}).status_code == 302
    assert WarrantyPolicy.objects.get(slug="shop-x").to_terms().failed_repairs_for_choice is None


@pytest.mark.django_db
def test_the_database_refuses_zero_failed_repairs_written_around_the_form():
    with pytest.raises(IntegrityError, match="failed_repairs_for_choice_positive"), transaction.atomic():
        WarrantyPolicy.objects.filter(slug="cn-national").update(failed_repairs_for_choice=0)


@pytest.mark.django_db
def test_exclusions_are_checkboxes_of_the_known_conditions_not_raw_json(admin_client):
    """They were a JSON text box: a typo (a code the rules do not know) could only be found by reading."""
    policy = WarrantyPolicy.objects.get(slug="retail")
    url = reverse("admin:warranty_warrantypolicy_change", args=[policy.pk])
    page = admin_client.get(url).content.decode()
    assert 'type="checkbox" name="exclusions" value="gift"' in page
    assert 'type="checkbox" name="exclusions_without_fault_only" value="use_marks"' in page
    assert "赠品" in page  # the condition's name, not only its code
    assert '<textarea name="exclusions"' not in page

    kept = [code for code in policy.exclusions if code != "gift"]  # the admin unticks 赠品
    response = admin_client.post(url, form_data(admin_client, url, exclusions=kept))

    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.exclusions == sorted(kept) and "gift" not in policy.to_terms().exclusions
