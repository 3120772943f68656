"""Build extension components from Python source (componentize-py)."""

from runner.build.componentize import WIT_DIR, WORLD, BuildError, build_component

__all__ = ["WIT_DIR", "WORLD", "BuildError", "build_component"]
