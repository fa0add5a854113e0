"""Settings: typos are errors, values never appear in errors, and outside development no
development secret (or a missing one) lets a service start."""
import base64
import os

import pytest

from chassis.settings import ServiceSettings, SettingsError, load_settings
from services.intake.settings import IntakeSettings
from services.notifications.settings import NotificationsSettings
from services.intake.vault import ContactVault


def key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def production_intake_env(**changes) -> dict[str, str]:
    """Every secret intake needs in production, each a fresh random value."""
    settings = load_settings(IntakeSettings, "intake", environ={})
    env = {"CFM__ENVIRONMENT": "production",
           "CFM__VAULT__KEYS": f'{{"k7": "{key()}"}}', "CFM__VAULT__ACTIVE_KEY_ID": "k7",
           "CFM__VAULT__INDEX_KEY": key(),
           "CFM__DATA_KEYS__KEYS": f'{{"m7": "{key()}"}}', "CFM__DATA_KEYS__ACTIVE_KEY_ID": "m7"}
    for endpoint_id, endpoint in settings.endpoints.items():
        if endpoint.secret is not None:
            env[f"CFM__ENDPOINTS__{endpoint_id.upper()}__SECRET"] = key()
        if endpoint.verify_token is not None:
            env[f"CFM__ENDPOINTS__{endpoint_id.upper()}__VERIFY_TOKEN"] = key()
    env.update(changes)
    return {name: value for name, value in env.items() if value is not None}


def test_a_mistyped_section_is_an_error_naming_it():
    with pytest.raises(SettingsError) as refused:
        load_settings(ServiceSettings, "cases", environ={"CFM__DATABSE__URL": "postgresql://elsewhere/cfm"})
    assert "CFM__DATABSE__URL" in str(refused.value) and "databse" in str(refused.value)


def test_a_section_of_another_service_is_not_an_error():
    # One environment may configure every service: the sms section means nothing to cases.
    settings = load_settings(ServiceSettings, "cases", environ={"CFM__SMS__BASE_URL": "http://sms:8099"})
    assert settings.service == "cases"


def test_a_secret_of_digits_stays_text_and_a_bad_value_is_never_printed():
    from services.identity.settings import IdentitySettings
    settings = load_settings(IdentitySettings, "identity", environ={"CFM__SECRET_KEY": "12345678901234567890"})
    assert settings.secret_key.get_secret_value() == "12345678901234567890"
    with pytest.raises(SettingsError) as refused:
        load_settings(ServiceSettings, "cases", environ={"CFM__HTTP__PORT": "80s3cr3t-value"})
    assert "http.port" in str(refused.value) and "80s3cr3t-value" not in str(refused.value)
    assert refused.value.__cause__ is None and refused.value.__suppress_context__


def test_json_objects_and_numbers_are_still_read():
    settings = load_settings(NotificationsSettings, "notifications", environ={
        "CFM__CONSUMER__ATTEMPTS": "7", "CFM__CONSUMER__FIRST_BACKOFF_SECONDS": "0.5",
        "CFM__ALERTS__RECIPIENTS": '{"GN": [{"id": "gn-night", "phone": "+224620009999"}]}'})
    assert settings.consumer.attempts == 7 and settings.consumer.first_backoff_seconds == 0.5
    assert settings.alerts.recipients["GN"][0].id == "gn-night"


def test_development_is_the_default_and_allows_the_development_secrets():
    settings = load_settings(IntakeSettings, "intake", environ={})
    assert settings.environment == "development"
    assert settings.vault.active_key_id == "dev1"


@pytest.mark.security
@pytest.mark.parametrize("missing", [
    "CFM__VAULT__INDEX_KEY", "CFM__ENDPOINTS__GN_SMS_TWILIO__SECRET",
    "CFM__ENDPOINTS__GN_WHATSAPP__VERIFY_TOKEN", "CFM__VAULT__ACTIVE_KEY_ID",
])
def test_production_refuses_to_start_on_a_development_or_missing_secret(missing):
    env = production_intake_env(**{missing: None})
    if missing == "CFM__VAULT__ACTIVE_KEY_ID":
        env["CFM__VAULT__KEYS"] = f'{{"dev1": "{key()}"}}'  # the file's active id would still match
    with pytest.raises(SettingsError) as refused:
        load_settings(IntakeSettings, "intake", environ=env)
    path = missing[len("CFM__"):].lower().replace("__", ".")
    assert path in str(refused.value)
    assert "dev-" not in str(refused.value)  # names the setting, never its value


@pytest.mark.security
def test_production_refuses_a_development_value_given_again_in_the_environment():
    development = load_settings(IntakeSettings, "intake", environ={})
    dev_key = development.vault.keys["dev1"].get_secret_value()
    index_key = development.vault.index_key.get_secret_value()
    for env in (production_intake_env(CFM__VAULT__INDEX_KEY=index_key),
                production_intake_env(CFM__VAULT__KEYS=f'{{"k7": "{dev_key}"}}'),
                production_intake_env(CFM__VAULT__INDEX_KEY="")):
        with pytest.raises(SettingsError):
            load_settings(IntakeSettings, "intake", environ=env)


@pytest.mark.security
def test_production_starts_with_its_own_secrets_and_the_key_ring_is_replaced_not_merged():
    env = production_intake_env()
    settings = load_settings(IntakeSettings, "intake", environ=env)
    assert settings.environment == "production"
    assert set(settings.vault.keys) == {"k7"} and settings.vault.active_key_id == "k7"
    ContactVault.from_settings(settings.vault)
    # The same replacement in development: the development key leaves the ring.
    dev = load_settings(IntakeSettings, "intake", environ={"CFM__VAULT__KEYS": env["CFM__VAULT__KEYS"],
                                                           "CFM__VAULT__ACTIVE_KEY_ID": "k7"})
    assert set(dev.vault.keys) == {"k7"}


def test_the_active_vault_key_must_be_in_the_ring():
    with pytest.raises(SettingsError) as refused:
        load_settings(IntakeSettings, "intake", environ={"CFM__VAULT__ACTIVE_KEY_ID": "k9"})
    assert "vault" in str(refused.value)


@pytest.mark.security
def test_other_services_need_only_their_own_secrets_in_production():
    from services.identity.settings import IdentitySettings
    production = {"CFM__ENVIRONMENT": "production"}
    assert load_settings(ServiceSettings, "cases", environ=production).environment == "production"
    with pytest.raises(SettingsError) as refused:
        load_settings(NotificationsSettings, "notifications", environ=production)
    assert "sms.auth_token" in str(refused.value)
    load_settings(NotificationsSettings, "notifications", environ={**production, "CFM__SMS__AUTH_TOKEN": key()})
    # identity's key encrypts its signing keys and second factors: never the development one.
    with pytest.raises(SettingsError) as refused:
        load_settings(IdentitySettings, "identity", environ=production)
    assert "secret_key" in str(refused.value)
    load_settings(IdentitySettings, "identity", environ={**production, "CFM__SECRET_KEY": key()})


@pytest.mark.security
def test_migrations_may_read_settings_without_the_secrets_they_do_not_use():
    settings = load_settings(IntakeSettings, "intake", environ={"CFM__ENVIRONMENT": "production"},
                             require_secrets=False)
    assert settings.environment == "production"


def compose_environment(service: str) -> dict[str, str]:
    """The environment deploy/docker-compose.yml gives `service`, with a fresh random value for
    every variable deploy/.env must set and the default of the others."""
    import re
    from pathlib import Path

    import yaml

    compose = yaml.safe_load((Path(__file__).parents[2] / "deploy" / "docker-compose.yml").read_text())
    environment = compose["services"][service]["environment"]

    shaped = {"CFM_VAULT_KEYS": f'{{"k1": "{key()}"}}', "CFM_VAULT_ACTIVE_KEY_ID": "k1",
              "CFM_INTAKE_DATA_KEYS": f'{{"m1": "{key()}"}}', "CFM_INTAKE_DATA_KEY_ID": "m1",
              "CFM_CASES_DATA_KEYS": f'{{"m1": "{key()}"}}', "CFM_CASES_DATA_KEY_ID": "m1"}

    def fill(value: str) -> str:
        return re.sub(r"\$\{(\w+)(?::([?-])([^}]*))?\}", lambda m: m.group(3) if m.group(2) == "-"
                      else shaped.get(m.group(1)) or key(), str(value))
    return {name: fill(value) for name, value in environment.items()}


@pytest.mark.parametrize("service", ["identity", "console", "intake", "cases", "referrals", "notifications", "reporting"])
def test_the_compose_deployment_runs_in_production_with_every_secret_from_its_env_file(service):
    from chassis.services import load_service

    env = compose_environment(service)
    assert env["CFM__ENVIRONMENT"] == "production"
    settings = load_settings(load_service(service)[1], service, environ=env)
    assert settings.environment == "production" and settings.auth.max_token_lifetime.total_seconds() == 900


def test_null_unsets_an_optional_setting():
    settings = load_settings(IntakeSettings, "intake", environ={"CFM__CHANNELS__PUBLIC_BASE_URL": "null"})
    assert settings.channels.public_base_url is None
