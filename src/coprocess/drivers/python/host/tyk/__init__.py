"""Tyk's Python plugin package, as isogate's Python host provides it.

Plugins import `from tyk.decorators import *` (Hook, Event) and `from gateway import TykGateway`.
Written from the behaviour Tyk documents (README.md of isogate, section "Python plugins").
"""
