"""Manage resources, one module per area; the shared behaviour (query, paging, writes) is in ``collection``."""
