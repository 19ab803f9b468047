"""Generic OpenID Connect login (mozilla-django-oidc), on when OIDC_RP_CLIENT_ID is set (settings.py).

The provider's userinfo names the user (OIDC_USERNAME_CLAIM), and its group claim (OIDC_GROUPS_CLAIM)
decides roles and branch through OIDC_ROLE_GROUPS and OIDC_BRANCH_GROUPS, or a claim holding the branch
code (OIDC_BRANCH_CLAIM), at every login."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from accounts.backends import signed_in
from accounts.directory import assignment_for
from accounts.models import User
from accounts.services import apply_assignment


def _claim_values(claims: dict, name: str) -> list[str] | None:
    """A claim as a list of strings (a provider may send one string or a list); None when absent."""
    if not name or name not in claims:
        return None
    value = claims[name]
    return [str(item) for item in value] if isinstance(value, list) else [str(value)]


class OidcBackend(OIDCAuthenticationBackend):
    def verify_token(self, token, **kwargs):
        """mozilla-django-oidc checks the signature, expiry and nonce; the audience too: a token the
        provider issued to another application is no login here."""
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("id_token audience is not this client")
        return payload

    def verify_claims(self, claims) -> bool:
        return bool(self._username(claims))

    def filter_users_by_claims(self, claims):
        return self.UserModel.objects.filter(username__iexact=self._username(claims))

    def create_user(self, claims) -> User:
        user = self.UserModel.objects.create_user(self._username(claims), source=User.Source.OIDC)
        return self.update_user(user, claims)

    def update_user(self, user: User, claims) -> User:
        names = {}
        if claims.get("family_name") or claims.get("given_name"):
            names = {"last_name": claims.get("family_name", ""), "first_name": claims.get("given_name", "")}
        elif claims.get("name"):
            # Only a full name: kept whole as the family part, which reads first (User.get_full_name).
            names = {"last_name": claims["name"], "first_name": ""}
        if claims.get("email"):
            names["email"] = claims["email"]
        limits = {field: User._meta.get_field(field).max_length for field in names}
        names = {field: str(value)[: limits[field]] for field, value in names.items()}
        changed = [field for field, value in names.items() if getattr(user, field) != value]
        for field in changed:
            setattr(user, field, names[field])
        if changed:
            user.save(update_fields=changed)
        apply_assignment(
            user,
            assignment_for(
                _claim_values(claims, settings.OIDC_GROUPS_CLAIM) or [],
                role_map=settings.OIDC_ROLE_GROUPS,
                branch_map=settings.OIDC_BRANCH_GROUPS,
                branch_values=(_claim_values(claims, settings.OIDC_BRANCH_CLAIM) or [])
                if settings.OIDC_BRANCH_CLAIM
                else None,
            ),
        )
        return user

    def get_user(self, user_id):
        user = signed_in(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    @staticmethod
    def _username(claims) -> str:
        return str(claims.get(settings.OIDC_USERNAME_CLAIM) or "").strip()[:150]
