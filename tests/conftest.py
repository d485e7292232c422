import os

# Before any service module reads its settings.
os.environ.setdefault("XUEZAI_ENV", "testing")

pytest_plugins = ["shared.testing.fixtures"]
