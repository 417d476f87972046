"""The ConnectWise Manage SDK: ``ManageClient`` / ``AsyncManageClient`` (client.py), models, resources, JSON Patch."""
