"""Loading the plugin's modules from the sources the gateway sent, and finding its hooks.

The gateway sends the file contents it validated (the same bytes its content hash covers), so a
restart after a crash runs exactly the code that was loaded, and an upload is checked in the
process that will serve it before it is written to disk. The sources are importable by their
file name (`import helpers` finds `helpers.py` of the same plugin); each source's folder is also
on sys.path for anything else the plugin keeps beside it.
"""

import importlib.abc
import importlib.util
import linecache
import os
import sys
import traceback

from tyk import decorators

REQUEST_KINDS = ("pre", "auth_check", "post_key_auth", "post")


class LoadError(Exception):
    def __init__(self, message, file=None, line=None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line


class _SourceLoader(importlib.abc.Loader):
    def __init__(self, filename, code):
        self.filename = filename
        self.code = code

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.__file__ = self.filename
        exec(compile(self.code, self.filename, "exec", dont_inherit=True), module.__dict__)

    def get_source(self, name):
        return self.code


class _SourceFinder(importlib.abc.MetaPathFinder):
    def __init__(self, modules):
        self.modules = modules

    def find_spec(self, fullname, path, target=None):
        found = self.modules.get(fullname) if path is None else None
        if found is None:
            return None
        filename, code = found
        return importlib.util.spec_from_loader(fullname, _SourceLoader(filename, code), origin=filename)


def _module_name(filename):
    return os.path.splitext(os.path.basename(filename))[0]


def _position(error, filenames):
    """File and line of a load failure: a SyntaxError's own, else the innermost plugin frame."""
    if isinstance(error, SyntaxError) and error.filename:
        return error.filename, error.lineno
    file = line = None
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename in filenames:
            file, line = frame.filename, frame.lineno
    return file, line


def _describe(error):
    if isinstance(error, SyntaxError):
        return "%s: %s" % (type(error).__name__, error.msg)
    return "".join(traceback.format_exception_only(type(error), error)).strip()


def load_sources(sources):
    """Import every source (list of {filename, code}) in order; raise LoadError naming file and line."""
    if not sources:
        raise LoadError("no Python middleware: put middleware.py in the API's middleware folder or give the entries a `path` to a .py file")
    modules = {}
    for source in sources:
        filename, code = source["filename"], source["code"]
        name = _module_name(filename)
        if name in modules:
            raise LoadError("two middleware files would both be module %r: %s and %s" % (name, modules[name][0], filename), filename)
        if name in sys.modules:
            raise LoadError("middleware file %s would hide the module %r the plugin host needs; rename it" % (os.path.basename(filename), name), filename)
        modules[name] = (filename, code)
        # Tracebacks show the lines of what was loaded, even if the file on disk differs or is gone.
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        folder = os.path.dirname(filename)
        if folder and folder not in sys.path:
            sys.path.append(folder)
    sys.meta_path.insert(0, _SourceFinder(modules))
    filenames = {filename for filename, _ in modules.values()}
    for name in modules:
        if name in sys.modules:
            continue  # already imported by an earlier source
        try:
            importlib.import_module(name)
        except BaseException as error:  # SystemExit at top level is a load failure too
            file, line = _position(error, filenames)
            where = "%s:%s" % (file, line) if file and line else (file or "middleware")
            raise LoadError("%s: %s" % (where, _describe(error)), file, line)
    for name, first, second in decorators.registry["duplicates"]:
        raise LoadError("hook %r is defined twice (%s and %s)" % (name, first, second))
    return filenames


def _plain_function(name):
    for module_name in list(sys.modules):
        module = sys.modules.get(module_name)
        if getattr(module, "__file__", None) is None or not isinstance(getattr(module, "__loader__", None), _SourceLoader):
            continue
        if callable(getattr(module, name, None)):
            return module.__file__
    return None


def check_declared(declared, filenames):
    """Every hook the API definition names must be an @Hook with a signature that fits its kind."""
    hooks = decorators.registry["hook"]
    problems = []
    for entry in declared:
        name, kind = entry["name"], entry["kind"]
        key = "custom_middleware.%s" % kind
        hook = hooks.get(name)
        if hook is None:
            plain = _plain_function(name)
            if plain:
                problems.append('%s: "%s" in %s is not decorated with @Hook' % (key, name, plain))
            else:
                problems.append('%s: no @Hook function named "%s" in %s' % (key, name, ", ".join(sorted(filenames))))
            continue
        expected = (5,) if kind == "response" else (3, 4)
        if hook.arg_count not in expected:
            wanted = "5 (request, response, session, metadata, spec)" if kind == "response" else "3 (request, session, spec) or 4 (request, session, metadata, spec)"
            problems.append('%s: hook "%s" (%s) takes %s parameters; it must take %s' % (key, name, hook.where, hook.arg_count, wanted))
    if problems:
        raise LoadError("; ".join(problems))
    return hooks, decorators.registry["event"]
