"""A nameko timer whose interval comes from the service's typed settings, not from the code."""
from functools import reduce

from nameko.timer import Timer


class SettingsTimer(Timer):
    """nameko's timer, firing every `<settings path>` seconds, e.g.
    `@SettingsTimer.decorator("deadlines.scan_seconds")`."""

    def __init__(self, settings_path: str, **kwargs):
        super().__init__(interval=None, **kwargs)
        self.settings_path = settings_path

    def setup(self):
        settings = self.container.config["SETTINGS"]
        self.interval = reduce(getattr, self.settings_path.split("."), settings)
