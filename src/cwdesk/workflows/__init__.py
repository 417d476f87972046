"""Business flows over the SDK: onboarding, bulk contact updates, primary contacts, members, Automate clients, sync.

Each flow makes a plan (steps with natural keys), stores it as a durable job (``cwdesk.workflows.jobs``) and runs
it through the SDK; a dry run is the plan alone. The CLI and the console call the same functions.
Not for: HTTP (the SDK), presentation (``cli``, ``console``) or the app's tables (``store``).
"""
