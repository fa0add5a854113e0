"""identity's staff directory for supervisors: the case workers of their countries by name, so that the
console shows and offers people rather than ids; nobody of another country, no partner, no disabled account."""
import requests

from tests.integration.test_identity import identity, invite  # noqa: F401 (the fixture)
from tests.tokens import bearer


def test_a_supervisor_sees_the_case_workers_of_their_countries_by_name(identity):  # noqa: F811
    for username, role, countries, org in (("fanta", "agent", ("GN",), None), ("aissatou", "focal_point", ("GN",), None),
                                           ("oumar", "agent", ("ML",), None),
                                           ("partner.gn", "partner", ("GN",), "gn-protection-partner")):
        admin = bearer("admin", countries, subject=f"admin-{countries[0]}")
        assert invite(identity, username, role, countries, org=org, admin=admin).status_code == 201
    answer = requests.get(f"{identity.url}/v1/staff", headers=bearer("supervisor", ("GN",)), timeout=10)
    assert answer.status_code == 200, answer.text
    assert [(person["display_name"], person["role"]) for person in answer.json()["staff"]] == [
        ("Aissatou", "focal_point"), ("Fanta", "agent")]
    assert requests.get(f"{identity.url}/v1/staff", headers=bearer("agent", ("GN",)), timeout=10).status_code == 403
