"""extgate: emulator package."""
