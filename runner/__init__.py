"""extgate: runner package."""
