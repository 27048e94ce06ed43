"""A local QuickBooks Online: a stateful, wire-compatible emulator of the QBO v3 API and OAuth.

backend.py holds each company's state and QBO's rules; wsgi.py is the HTTP layer; control.py the
/_sandbox/ control plane; webhooks.py posts change notifications to an app; server.py serves it;
pytest_plugin.py gives tests a fixture.
"""
