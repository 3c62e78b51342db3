"""The clinic web page: static files, the chat widget's built file and a small config endpoint (see web/server.py)."""
