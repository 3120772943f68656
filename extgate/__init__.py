"""extgate: extgate package."""
