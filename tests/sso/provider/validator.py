"""The claims the test provider tells about each of its people (set by the tests)."""

from oauth2_provider.oauth2_validators import OAuth2Validator

# username → extra claims (email_verified, groups…): set through /test/people/.
CLAIMS = {}


class ClaimsValidator(OAuth2Validator):
    # A claim this map does not name is left out; the groups go with "openid".
    oidc_claim_scope = {
        **OAuth2Validator.oidc_claim_scope,
        "groups": "openid",
        "realm_access": "openid",
    }

    def get_additional_claims(self, request):
        user = request.user
        claims = {
            "email": user.email,
            "given_name": user.first_name,
            "family_name": user.last_name,
        }
        claims.update(CLAIMS.get(user.username, {}))
        return claims
