"""The `request` a hook receives: Tyk's wrapper around the coprocess MiniRequestObject."""


class TykCoProcessRequest:
    """`request.object` is the MiniRequestObject itself; the helpers edit it the way Tyk's do."""

    def __init__(self, mini_request_object):
        self.object = mini_request_object

    def add_header(self, key, value):
        """Set a header on the request that goes upstream (replaces an existing value)."""
        self.object.set_headers[key] = value

    def delete_header(self, key):
        self.object.delete_headers.append(key)

    def add_param(self, key, value):
        """Set a query parameter (replaces an existing value)."""
        self.object.add_params[key] = value

    def delete_param(self, key):
        self.object.delete_params.append(key)

    def get_header(self, key):
        """The header's first value as the gateway sent it (canonical name, e.g. `X-Api-Key`), or None."""
        if key in self.object.headers:
            return self.object.headers[key]
        return None
