"""The API's JSON parser, bounded. A module of its own: settings name it, and DRF imports the parsers
while it builds `APIView`, so this module must not import `rest_framework.views` (aftersales.api does)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing with a 400 a body nested too deep for Python's json module.

    `[[[[…]]]]` 5,000 levels deep made the json module raise RecursionError, which DRF does not catch
    (it turns only ValueError into a 400): a 500 for anybody, even before logging in (issue #15).
    Installed for every API view in settings' DEFAULT_PARSER_CLASSES.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("JSON 数据嵌套层数过多,无法解析。")) from None
