pytest_plugins = ["integrations.sandbox.pytest_plugin"]
