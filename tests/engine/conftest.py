"""Engine tests reuse the knowledge workspaces."""

from tests.knowledge.conftest import rival, shop  # noqa: F401
