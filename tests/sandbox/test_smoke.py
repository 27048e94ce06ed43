"""The fixture serves the sample company over HTTP."""


def test_fixture_serves_the_sample_company(qbo_sandbox):
    """A token from the control plane reads CompanyInfo of the default realm."""
    response = qbo_sandbox.api("GET", f"companyinfo/{qbo_sandbox.realm_id}")
    assert response.status_code == 200
    assert response.json()["CompanyInfo"]["CompanyName"] == qbo_sandbox.company_name
