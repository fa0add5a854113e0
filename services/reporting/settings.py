"""Settings of the reporting service."""
from pydantic import Field

from chassis.settings import Section, ServiceSettings

# The default categories of the domain note; a country's own names come with its taxonomy.
DEFAULT_CATEGORY_LABELS = {
    1: "Request for information", 2: "Request for assistance", 3: "Positive feedback", 4: "Minor dissatisfaction",
    5: "Major dissatisfaction", 6: "Sexual exploitation and abuse", 7: "Fraud, corruption, theft",
    8: "Staff or partner misconduct", 9: "Threat to life, safety or security", 10: "Protection need",
    11: "Out of scope",
}


class ReportSettings(Section):
    scheduled_periods: list[str] = Field(default=["week", "month"], description="Generated and kept on schedule")
    ready_hour: int = Field(6, ge=0, le=23, description=(
        "Local hour after a period ends at which its report is generated, so late events are in"))
    schedule_check_seconds: float = Field(300, description="How often to look for a report that is due")
    top_topics: int = 10
    rising_min_count: int = 3
    category_labels: dict[int, str] = DEFAULT_CATEGORY_LABELS


class ReportingSettings(ServiceSettings):
    search_page_size: int = 20
    reports: ReportSettings = ReportSettings()
    staff_names: dict[str, list[str]] = Field(default_factory=dict, description=(
        "By country code, the names of the programme's staff and partners' staff, replaced by [name] in "
        "every narrative reporting keeps (people name the agent they complain about)"))
