"""Which services the platform has, and where their code lives."""
import importlib

SERVICES = ("identity", "intake", "cases", "referrals", "notifications", "reporting", "console")


def load_service(name: str):
    """The service class and its settings class, from services/<name>/service.py."""
    module = importlib.import_module(f"services.{name}.service")
    return module.SERVICE, module.SETTINGS
