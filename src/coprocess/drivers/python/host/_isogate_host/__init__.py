"""isogate's Python plugin host (private to the host; plugins use `tyk` and `gateway`)."""
