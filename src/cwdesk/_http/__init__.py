"""Request machinery shared by the Manage and Automate clients; no ConnectWise nouns live here.

``core`` (the request loop), ``retry`` (policy as pure functions), ``throttle`` (adaptive limiter per credential),
``errors`` (the exception tree) and ``paging`` (Link and page-number iterators). Import from the submodules.
"""
