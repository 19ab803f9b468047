"""The widgets aftersales.forms writes in Python (FormRenderer: inputs, checkboxes, text areas, selects;
the Select widget) write what the templates write (Django's, and the project's
templates/django/forms/widgets/select.html): the same markup, byte for byte, whatever the values."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django import forms
from django.forms.renderers import TemplatesSetting
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from accounts.models import Role, User
from aftersales import forms as fields
from tests.accounts.factories import UserFactory

TEMPLATES = TemplatesSetting()
PYTHON = fields.FormRenderer()

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

ATTRS = [
    None,
    {"id": "id_x"},
    {"id": "id_x", "class": "form-select"},
    {"class": "form-control is-invalid", "required": True, "disabled": False},
    {"data-x": '"quoted" & <tag>', "placeholder": gettext_lazy("搜索"), "maxlength": 40},
    {"aria-label": "语言", "step": Decimal("0.5")},
]

SELECT_VALUES = [None, "", "open", "a&b", "3", 1500, "g2", ["g1", "open"], "missing", "blank-group"]


@pytest.fixture(params=["zh-hans", "en"])
def language(request, settings):
    settings.USE_THOUSAND_SEPARATOR = True
    with override(request.param):
        yield request.param


@pytest.mark.parametrize("value", SELECT_VALUES)
@pytest.mark.parametrize("attrs", ATTRS)
def test_a_select_is_written_as_the_template_writes_it(value, attrs, language):
    expected = forms.Select(attrs={"title": "t"}, choices=CHOICES).render("na<me>", value, attrs, TEMPLATES)
    assert (
        forms.Select(attrs={"title": "t"}, choices=CHOICES).render("na<me>", value, attrs, PYTHON) == expected
    )
    assert fields.Select(attrs={"title": "t"}, choices=CHOICES).render("na<me>", value, attrs) == expected


WIDGETS = [
    (forms.TextInput, ["", "张伟", 'a "b" <c> & d', 0, None, mark_safe("<i>safe</i>")]),
    (forms.NumberInput, [None, 3, Decimal("12.50"), 1500.5, "1,5"]),
    (forms.EmailInput, [None, "a&b@example.com"]),
    (forms.PasswordInput, [None, "secret"]),
    (forms.HiddenInput, [None, 7, "x<y"]),
    (forms.URLInput, [None, "https://example.com/?a=1&b=2"]),
    (forms.SearchInput, [None, "漏水"]),
    (forms.TelInput, [None, "139 1234 5678"]),
    (forms.DateInput, [None, datetime.date(2026, 12, 6), "2026-12-06"]),
    (forms.DateTimeInput, [None, datetime.datetime(2026, 12, 6, 9, 30, tzinfo=datetime.UTC)]),
    (forms.TimeInput, [None, datetime.time(9, 30), "09:30"]),
    (forms.ColorInput, [None, "#ff0000"]),
    (forms.CheckboxInput, [None, True, False, "", "on", "yes"]),
    (forms.Textarea, [None, "", "两行\n<第二行> & more", 0, 1500, mark_safe("<b>x</b>")]),
]


@pytest.mark.parametrize(("widget_class", "values"), WIDGETS, ids=[w.__name__ for w, _v in WIDGETS])
@pytest.mark.parametrize("attrs", ATTRS)
def test_inputs_and_text_areas_are_written_as_the_templates_write_them(widget_class, values, attrs, language):
    for value in values:
        widget = widget_class(attrs={"title": "t"})
        assert widget.render("f<x>", value, attrs, PYTHON) == widget.render("f<x>", value, attrs, TEMPLATES)


def test_other_widgets_still_go_through_their_templates():
    for widget in (
        forms.RadioSelect(choices=[("a", "A"), ("b", "B")]),
        forms.CheckboxSelectMultiple(choices=[("a", "A")]),
        forms.SelectMultiple(choices=[("a", "A")]),
        forms.ClearableFileInput(),
        forms.SplitDateTimeWidget(),
    ):
        assert widget.render("x", None, {"id": "id_x"}, PYTHON) == widget.render(
            "x", None, {"id": "id_x"}, TEMPLATES
        )


@pytest.mark.django_db
def test_a_model_choice_field_renders_as_its_template_would():
    UserFactory.create_batch(3, roles=[Role.TECHNICIAN])
    UserFactory(username="o'brien&co", first_name="<王>", roles=[Role.TECHNICIAN])
    chosen = User.objects.order_by("pk").last()

    def rendered(widget, data=None) -> str:
        form = forms.Form(data=data)
        form.renderer = TEMPLATES
        form.fields["technician"] = fields.ModelChoiceField(
            queryset=User.objects.order_by("username"), empty_label="全部技术员", widget=widget
        )
        return form["technician"].as_widget(attrs={"class": "form-select"})

    assert rendered(fields.Select) == rendered(forms.Select)
    chosen_data = {"technician": str(chosen.pk)}
    assert rendered(fields.Select, chosen_data) == rendered(forms.Select, chosen_data)
    assert f'<option value="{chosen.pk}" selected>' in rendered(fields.Select, chosen_data)


def test_the_site_renders_forms_through_the_python_renderer(settings):
    assert settings.FORM_RENDERER == "aftersales.forms.FormRenderer"
    form = forms.Form()
    form.fields["q"] = forms.CharField()
    assert str(form["q"]) == '<input type="text" name="q" required id="id_q">'


@pytest.mark.django_db
def test_a_model_choice_field_reads_its_rows_once_and_again_after_a_new_queryset(django_assert_num_queries):
    first, second = UserFactory(username="a-first"), UserFactory(username="b-second")
    field = fields.ModelChoiceField(queryset=User.objects.filter(pk=first.pk))
    other = fields.ModelChoiceField(queryset=User.objects.filter(pk=first.pk), empty_label="选择")
    with django_assert_num_queries(1):
        assert [label for _value, label in field.choices][1:] == [str(first)]
        assert [label for _value, label in field.choices][1:] == [str(first)]
        field.share_rows(other)
        assert [label for _value, label in other.choices] == ["选择", str(first)]
    field.queryset = User.objects.filter(pk=second.pk)
    with django_assert_num_queries(1):
        assert [label for _value, label in field.choices][1:] == [str(second)]
    assert field.clean(str(second.pk)) == second  # validation reads the queryset, not the rows shown


@pytest.mark.parametrize("widget_class", [forms.RadioSelect, forms.CheckboxSelectMultiple])
@pytest.mark.parametrize("attrs", [None, {"id": "id_c"}, {"id": "id_c", "class": "form-check-input"}])
@pytest.mark.parametrize("wrap_label", [False, True])
def test_each_choice_of_a_list_is_written_as_its_template_writes_it(
    widget_class, attrs, wrap_label, language
):
    widget = widget_class(choices=CHOICES[:7])
    for option in widget.subwidgets("c<x>", ["open", "3"], attrs):
        python = forms.boundfield.BoundWidget(widget, option, PYTHON).tag(wrap_label=wrap_label)
        assert python == forms.boundfield.BoundWidget(widget, option, TEMPLATES).tag(wrap_label=wrap_label)


def test_no_template_the_renderer_writes_in_python_is_overridden_elsewhere(settings):
    """FormRenderer writes these templates' markup itself: an override of one of them in the project would
    be silently ignored. The select's override is the one the Python select copies (compared above)."""
    written = {*fields.INPUT_TEMPLATES, *fields.OPTION_TEMPLATES, f"{fields.WIDGETS}textarea.html"}
    overrides = {
        path.relative_to(root).as_posix()
        for root in (Path(settings.BASE_DIR) / "templates", *Path(settings.BASE_DIR).glob("*/templates"))
        for path in (root / "django/forms/widgets").glob("*.html")
    }
    assert overrides & written == set()
