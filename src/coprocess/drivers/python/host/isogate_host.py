"""Entry point of isogate's Python plugin host: `python3 isogate_host.py` (the gateway runs it).

Its folder holds the `tyk` package and `gateway` module plugins import, and the host's own
`_isogate_host` package. Needs grpcio and protobuf (Debian: python3-grpcio, python3-protobuf).
"""

from _isogate_host.main import main

if __name__ == "__main__":
    main()
