"""extgate: functions package."""
