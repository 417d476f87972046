"""``python -m cwdesk`` runs the CLI."""

from cwdesk.cli.app import main

main()
