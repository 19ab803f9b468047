import uuid

from django import forms, template
from django.utils.html import format_html

from aftersales import texts

register = template.Library()


@register.filter
def bootstrap(bound_field):
    """Render a form field's widget with the Bootstrap class its widget type needs."""
    widget = bound_field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select):
        css = "form-select"
    else:
        css = "form-control"
    if bound_field.errors:
        css += " is-invalid"
    return bound_field.as_widget(attrs={"class": css})


@register.filter
def check_input(choice) -> str:
    """One choice of a radio or checkbox list as Bootstrap's check input (a class of its own kept)."""
    attrs = choice.data["attrs"]
    choice.data["attrs"] = {**attrs, "class": attrs.get("class") or "form-check-input"}
    return choice.tag()


@register.simple_tag
def idempotency_input():
    """The hidden key of one write (accounts/idempotency.py): a new UUID each time a form is rendered."""
    return format_html('<input type="hidden" name="idempotency_key" value="{}">', uuid.uuid4())


@register.filter
def max_chars(bound_field) -> int | None:
    """The limit a field's text counter shows (the widget's data-max-chars), None without one."""
    return bound_field.field.widget.attrs.get("data-max-chars")


@register.filter
def list_text(items) -> str:
    """Names in a list, joined as the active language writes them (吴刚、陈二)."""
    return texts.list_text(str(item) for item in items)
