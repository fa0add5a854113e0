"""Settings of the reporting service."""
from chassis.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    search_page_size: int = 20
