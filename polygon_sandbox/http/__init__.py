"""Serving the API: server, request pipeline, auth and plans, faults, delays, replies."""
