"""Form fields shared by the apps."""

from __future__ import annotations

from django import forms
from django.forms.models import ModelChoiceIterator
from django.forms.renderers import TemplatesSetting
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe


class FetchedChoiceIterator(ModelChoiceIterator):
    """The options from one plain query. Django's iterator reads them through `QuerySet.iterator()`,
    on PostgreSQL a server-side cursor (DECLARE … WITH HOLD, materialised at the end of the autocommit
    transaction): for a list of a few dozen rows that costs several times the rows themselves (issue #19,
    the ticket list's two technician selects)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.field.fetched_rows():
            yield self.choice(obj)


def _attributes(attrs: dict) -> str:
    """HTML attributes as django/forms/widgets/attrs.html writes them: `True` bare, `False` left out."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _select(name, attrs: dict, groups) -> SafeString:
    """templates/django/forms/widgets/select.html: `groups` as ChoiceWidget.optgroups gives them, (group
    name, [(value, label, option attributes)])."""
    parts = [f'<select name="{conditional_escape(name)}"{_attributes(attrs)}>']
    for group_name, options in groups:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(localize(group_name))}">')
        parts.extend(
            f'\n  <option value="{conditional_escape(value)}"{_attributes(option_attrs)}>'
            f"{conditional_escape(localize(label))}</option>"
            for value, label, option_attrs in options
        )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


def _input(widget: dict) -> SafeString:
    """django/forms/widgets/input.html (and the text, number, date… and checkbox templates that include it)."""
    value = "" if widget["value"] is None else f' value="{conditional_escape(widget["value"])}"'
    return mark_safe(  # noqa: S308 - escaped
        f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"'
        f"{value}{_attributes(widget['attrs'])}>"
    )


def _textarea(widget: dict) -> SafeString:
    """django/forms/widgets/textarea.html."""
    value = conditional_escape(localize(widget["value"])) if widget["value"] else ""
    return mark_safe(  # noqa: S308 - escaped
        f'<textarea name="{conditional_escape(widget["name"])}"{_attributes(widget["attrs"])}>\n{value}</textarea>'
    )


def _option(widget: dict) -> SafeString:
    """django/forms/widgets/input_option.html (checkbox_option and radio_option include it): one choice of a
    checkbox or radio list, as `{{ choice.tag }}` writes it, its label wrapped around it or not."""
    html = _input(widget)
    if not widget.get("wrap_label"):
        return html
    id_ = widget["attrs"].get("id")
    label_for = f' for="{conditional_escape(id_)}"' if id_ else ""
    # The newline: the included input.html ends with one, which the renderer's strip() leaves inside.
    return mark_safe(f"<label{label_for}>{html}\n {conditional_escape(localize(widget['label']))}</label>")  # noqa: S308


WIDGETS = "django/forms/widgets/"
OPTION_TEMPLATES = frozenset(f"{WIDGETS}{kind}_option.html" for kind in ("input", "checkbox", "radio"))
INPUT_TEMPLATES = frozenset(
    f"{WIDGETS}{kind}.html"
    for kind in (
        "input",
        "text",
        "email",
        "number",
        "password",
        "hidden",
        "url",
        "search",
        "tel",
        "date",
        "datetime",
        "time",
        "color",
        "checkbox",
    )
)


class FormRenderer(TemplatesSetting):
    """Widgets through TEMPLATES (templates/django/forms/ replaces Django's select), except the commonest,
    written here in Python with the same markup: text and other inputs, checkboxes, text areas, selects, and
    the choices of a checkbox or radio list written one by one (`{{ choice.tag }}`, ui.check_input).
    A form of six fields cost a millisecond of template includes (input.html includes attrs.html, a
    select one dictionary per option) on every page that shows one (issue #19: the ticket page's forms,
    the list's filter). tests/test_select_widget.py holds each to its template's output."""

    def render(self, template_name, context, request=None):
        if template_name in INPUT_TEMPLATES:
            return _input(context["widget"])
        if template_name in OPTION_TEMPLATES:
            return _option(context["widget"])
        if template_name == f"{WIDGETS}textarea.html":
            return _textarea(context["widget"])
        if template_name == f"{WIDGETS}select.html":
            widget = context["widget"]
            groups = [
                (name, [(option["value"], option["label"], option["attrs"]) for option in options])
                for name, options, _index in widget["optgroups"]
            ]
            return _select(widget["name"], widget["attrs"], groups)
        return super().render(template_name, context, request)


class Select(forms.Select):
    """A select that writes its options straight from its choices, without the dictionary per option
    (the attributes copied for each) that ChoiceWidget.optgroups builds for the template: for the selects
    a busy page renders on every request (issue #19: the ticket list's filter and bulk forms were a
    quarter of its time). Its markup is the select template's (tests/test_select_widget.py)."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        if self.allow_multiple_selected:  # SelectMultiple and its kind: the template, as before
            return super().render(name, value, attrs, renderer)
        values = self.format_value(value)
        groups, selected_one = [], False
        for group_value, group_label in self.choices:
            if group_value is None:
                group_value = ""
            if isinstance(group_label, (list, tuple)):
                group_name, choices = group_value, group_label
            else:
                group_name, choices = None, [(group_value, group_label)]
            options = []
            for option_value, option_label in choices:
                selected = not selected_one and str(option_value) in values
                selected_one |= selected
                options.append((option_value, option_label, SELECTED if selected else NOT_SELECTED))
            groups.append((group_name, options))
        return _select(name, self.build_attrs(self.attrs, attrs), groups)


SELECTED, NOT_SELECTED = {"selected": True}, {}


class ModelChoiceField(forms.ModelChoiceField):
    """Django's ModelChoiceField whose options come from one plain query (FetchedChoiceIterator): for the
    short lists of a page (technicians, branches), not for thousands of rows."""

    iterator = FetchedChoiceIterator
    widget = Select
    _rows: list | None = None

    def _set_queryset(self, queryset):
        super()._set_queryset(queryset)
        self._rows = None

    queryset = property(forms.ModelChoiceField._get_queryset, _set_queryset)

    def fetched_rows(self) -> list:
        """The options' rows, read on first use and kept while the queryset stays the same."""
        if self._rows is None:
            self._rows = list(self.queryset)
        return self._rows

    def share_rows(self, other: ModelChoiceField) -> None:
        """Give `other`, a field of another form over the same rows, the rows this one read: one query for
        two selects of the same list (the ticket list's filter and bulk action). Validation still reads
        each field's own queryset."""
        other._rows = self.fetched_rows()
