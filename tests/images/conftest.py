"""Fixtures for the image tests (helpers live in tests/images/docker_cli.py)."""

from tests.images.docker_cli import built_images, container, docker_engine

__all__ = ["built_images", "container", "docker_engine"]
