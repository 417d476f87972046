"""The package version, in a module of its own so the clients can read it without importing ``cwdesk`` itself
(``cwdesk/__init__.py`` imports the clients: reading the version from there made an import cycle)."""

__version__ = "0.1.0"
