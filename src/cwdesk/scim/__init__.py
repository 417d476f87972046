"""X3: the SCIM 2.0 bridge. Identity providers (Okta, Entra ID) provision ConnectWise members through cwdesk,
since ConnectWise Manage has no SCIM endpoint (the member-lifecycle guide the product was described from).

- ``models``: what is published (``/Schemas``, ``/ResourceTypes``, ``/ServiceProviderConfig``).
- ``mapping``: SCIM User ↔ member, Group ↔ security role (the table of docs/scim.md).
- ``filters``: SCIM filters as escaped ConnectWise conditions.
- ``storage``: scim2-server's storage over ConnectWise; every write a durable job (``changes``).
- ``server``: the ASGI app (bearer tokens per identity provider, a rate limit per token); ``tokens``: the check
  on the app's token store.

The protocol itself (routing, PATCH, PUT, errors) is scim2-server's, the models scim2-models' (the ``scim`` extra:
``pip install 'cwdesk[scim]'``). Not for: the CLI (``cli/scim.py``) or the member rules (``workflows.members``).
"""
