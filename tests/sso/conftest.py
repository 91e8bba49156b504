"""The single sign-on tests' provider and setup (fixtures.py)."""

from tests.sso.fixtures import oidc_provider, sso  # noqa: F401
