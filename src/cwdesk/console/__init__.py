"""The web console (``cwdesk console``): the seed's PSA console done properly, over the SDK and the workflows.

``create_app`` builds the ASGI app; ``security`` holds sign-in, roles, CSRF and the audit log; ``routes/`` has one
module per panel. Not for: business rules (``cwdesk.workflows``) or credentials handling (``cwdesk.config``).
"""
