"""Procedural generators of Problems with gold steps known by construction (``world``, ``timeline``)."""
