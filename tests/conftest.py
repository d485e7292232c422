import os

# Before any service module reads its settings.
os.environ.setdefault("XUEZAI_ENV", "testing")

pytest_plugins = ["shared.testing.fixtures"]


def pytest_collection_modifyitems(items: list) -> None:  # type: ignore[type-arg]
    """Run the live-platform tests last: its real workers drain the same outbox tables that
    in-process tests write to, so they must not run while those tests do."""
    items.sort(key=lambda item: item.get_closest_marker("live") is not None)
