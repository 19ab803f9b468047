from django.conf import settings
from django.utils import translation


class ChosenLanguageMiddleware:
    """Simplified Chinese unless the user picked another language with the header's switch.

    Unlike Django's LocaleMiddleware this ignores the browser's Accept-Language: service desks
    often run on machines set up in English, and the product's default is Chinese (DESIGN §9). The API
    (no cookie) follows Accept-Language: its error messages are in the caller's language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if not chosen and request.path.startswith("/api/"):
            # A program states its caller's language in Accept-Language (the API's messages follow it).
            chosen = translation.get_language_from_request(request)
        language = chosen if chosen and translation.check_for_language(chosen) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


class PrivateResponseMiddleware:
    """`Cache-Control: private, no-store` on every response to a logged-in user or an API token: the
    pages and every download of personal data (signatures, photos, vouchers, claim attachments,
    exports) stay out of shared caches and off the disk of the browser. Static files (WhiteNoise,
    earlier in the chain) keep their own long caching."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated or "HTTP_AUTHORIZATION" in request.META:
            response["Cache-Control"] = "private, no-store"
        return response
