from django import forms, template

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
def max_chars(bound_field) -> int | None:
    """The limit a field's text counter shows (the widget's data-max-chars), None without one."""
    return bound_field.field.widget.attrs.get("data-max-chars")
