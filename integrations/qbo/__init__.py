"""QuickBooks Online transport: OAuth, the HTTP client, typed faults and rate limiting.

Nothing in this package touches Django; callers hand it a `QboConfig`.
"""
