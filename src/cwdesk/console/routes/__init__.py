"""The console\x27s panels, one module each (clients, bulk, onboarding, jobs, automate, accounts)."""
