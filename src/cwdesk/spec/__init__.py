"""The OpenAPI documents bundled with cwdesk, as package data.

- ``manage-core.json`` and ``automate-core.json``: the core subsets of the Manage and Automate specs (paths and
  schemas cwdesk's resources and the sandbox use), copied from the project's shared spec folder.
- ``manage-operations.json`` and ``automate-operations.json``: slim indexes of EVERY operation of the full specs
  (operationId, method, path, parameters, whether it answers a list), built by ``build_index.py``; the generic
  ``operations`` API (M9) reads them. The full specs (~6 MB) are not shipped.

Not for: code that reads them (``cwdesk._http.operations_index``).
"""
