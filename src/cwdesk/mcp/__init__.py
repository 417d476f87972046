"""cwdesk for AI assistants: an MCP server (``cwdesk mcp``) over the SDK, the workflows and the durable jobs.

``desk.py`` does the work of every tool (plain functions over one ``Desk``: the clients, the app's database and
the plans this server made); ``plans.py`` keeps those plans and tells what changed since one was made;
``server.py`` registers the tools, resources and prompts on the official SDK's ``MCPServer``; ``reference.py``
holds what the resources and prompts say. Write tools only plan: ``execute_plan`` runs a plan as a durable job.
Not for: the command line (``cwdesk.cli.mcp``) or business rules (``cwdesk.workflows``).
"""
