"""Settings of the cases service."""
from chassis.settings import ServiceSettings


class CasesSettings(ServiceSettings):
    pass
