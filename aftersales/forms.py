"""Form fields shared by the apps."""

from __future__ import annotations

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe


class FetchedChoiceIterator(ModelChoiceIterator):
    """The options from one plain query. Django's iterator reads them through `QuerySet.iterator()`,
    on PostgreSQL a server-side cursor (DECLARE … WITH HOLD, materialised at the end of the autocommit
    transaction): for a list of a few dozen rows that costs several times the rows themselves (issue #19,
    the ticket list's two technician selects)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


def _attributes(attrs: dict) -> str:
    """HTML attributes as django/forms/widgets/attrs.html writes them: `True` bare, `False` left out."""
    return "".join(
        f" {conditional_escape(name)}" if value is True else f' {conditional_escape(name)}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class Select(forms.Select):
    """Django's Select written in Python: the markup of templates/django/forms/widgets/select.html, without
    the template engine and the option dictionaries `optgroups` builds (one per option, the attributes
    copied for each). For the selects a busy page renders on every request (issue #19: the ticket list's
    filter and bulk forms were a quarter of its time). tests/test_select_widget.py holds it to the
    template's output."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        if self.allow_multiple_selected:  # SelectMultiple and its kind: the template, as before
            return super().render(name, value, attrs, renderer)
        values = self.format_value(value)
        parts = [
            f'<select name="{conditional_escape(name)}"{_attributes(self.build_attrs(self.attrs, attrs))}>'
        ]
        selected_one = False
        for group_value, group_label in self.choices:
            if group_value is None:
                group_value = ""
            if isinstance(group_label, (list, tuple)):
                options, group = group_label, bool(group_value)  # the template's {% if group_name %}
            else:
                options, group = [(group_value, group_label)], False
            if group:
                parts.append(f'\n  <optgroup label="{conditional_escape(localize(group_value))}">')
            for option_value, option_label in options:
                selected = not selected_one and str(option_value) in values
                selected_one |= selected
                parts.append(
                    f'\n  <option value="{escape(option_value)}"{" selected" if selected else ""}>'
                    f"{conditional_escape(localize(option_label))}</option>"
                )
            if group:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


class ModelChoiceField(forms.ModelChoiceField):
    """Django's ModelChoiceField whose options come from one plain query (FetchedChoiceIterator): for the
    short lists of a page (technicians, branches), not for thousands of rows."""

    iterator = FetchedChoiceIterator
    widget = Select
