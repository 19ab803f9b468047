"""aftersales.forms.Select writes in Python what Django's Select writes through the project's template
(templates/django/forms/widgets/select.html): the same markup, byte for byte, whatever the choices."""

from __future__ import annotations

import pytest
from django import forms
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from accounts.models import Role, User
from aftersales import forms as fields
from tests.accounts.factories import UserFactory

CHOICES = [
    ("", "全部"),
    ("open", gettext_lazy("未完结")),
    ("a&b", 'x <y> "z"'),
    ("safe", mark_safe("<b>粗</b>")),
    (3, 3),
    (1500, 1500),  # localised like the template's {{ option.label }}
    ("open", "the same value again: only the first is selected"),
    ("组", [("g1", "一"), ("g2", "二")]),
    ("", [("blank-group", "a group without a name has no <optgroup>")]),
    (None, "None is the empty value"),
]

CASES = [
    ("state", None, None),
    ("state", "", {"id": "id_state"}),
    ("state", "open", {"id": "id_state", "class": "form-select"}),
    ("state", "a&b", {"class": "form-select is-invalid", "required": True, "disabled": False}),
    ("state", "3", {"data-x": '"quoted" & <tag>'}),
    ("state", 1500, {}),
    ("state", "g2", {"id": "id_state"}),
    ("state", ["g1", "open"], {}),
    ("state", "missing", {}),
    ("na<me>", "blank-group", {"aria-label": "语言"}),
]


@pytest.mark.parametrize(("name", "value", "attrs"), CASES)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_python_select_writes_what_the_template_writes(name, value, attrs, language, settings):
    settings.USE_THOUSAND_SEPARATOR = True
    with override(language):
        expected = forms.Select(attrs={"title": "t"}, choices=CHOICES).render(name, value, attrs)
        written = fields.Select(attrs={"title": "t"}, choices=CHOICES).render(name, value, attrs)
    assert written == expected


@pytest.mark.django_db
def test_a_model_choice_field_with_the_python_select_as_its_template_would_render_it():
    UserFactory.create_batch(3, roles=[Role.TECHNICIAN])
    UserFactory(username="o'brien&co", first_name="<王>", roles=[Role.TECHNICIAN])
    chosen = User.objects.order_by("pk").last()

    def rendered(widget) -> str:
        field = fields.ModelChoiceField(
            queryset=User.objects.order_by("username"), empty_label="全部技术员", widget=widget
        )
        form = forms.Form()
        form.fields["technician"] = field
        return forms.BoundField(form, field, "technician").as_widget(attrs={"class": "form-select"})

    assert rendered(fields.Select) == rendered(forms.Select)
    form = forms.Form(data={"technician": str(chosen.pk)})
    for widget in (fields.Select, forms.Select):
        form.fields["technician"] = fields.ModelChoiceField(queryset=User.objects.all(), widget=widget)
    assert f'<option value="{chosen.pk}" selected>' in str(form["technician"])


def test_a_multiple_select_keeps_the_template():
    widget = type("Multiple", (fields.Select,), {"allow_multiple_selected": True})(choices=[("a", "A")])
    assert widget.render("x", ["a"]) == forms.SelectMultiple(choices=[("a", "A")]).render("x", ["a"])
