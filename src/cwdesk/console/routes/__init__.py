"""The console's panels, one module each (clients, bulk, onboarding, jobs, automate, accounts)."""
