import pytest

from opsmaturity.transfer.plan import build_plan
from opsmaturity.transfer.reading import read_table


@pytest.fixture
def people(team, manager, member):
    """Billing, managed by boss (Mika Morita), with ann (Ann Lee) in it."""
    return {"team": team, "manager": manager, "member": member}


def plan_of(data, user, name="ops.csv"):
    return build_plan(read_table(name, data), user)
