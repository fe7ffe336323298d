"""calendar_app: Chongyang County's scientific-literacy plan as unit calendars."""

__version__ = "0.1.0"
