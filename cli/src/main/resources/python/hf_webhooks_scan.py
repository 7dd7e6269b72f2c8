"""Tells what each Python handler file is, without running it: hf-webhooks' `list` and discovery.

``python hf_webhooks_scan.py FILE...`` prints one JSON object: the Python's version, and for each
file its kind, the routes it registers and what keeps it from running:

- ``handle``: defines ``handle(payload, context)`` (plain or async) at the top level;
- ``app``: registers functions through huggingface_hub's ``webhook_endpoint`` or
  ``WebhooksServer.add_webhook``, each route named as huggingface_hub would (the path given, else
  the function's name, without its outer "/");
- ``none``: neither (run as a process when executable).

The file is parsed, never run; a module imported at its top level that this Python cannot find is
reported, since that import would fail in the worker. Written for old Pythons too (no f-strings),
so that a Python older than 3.9 can still say it is too old.
"""

import ast
import importlib.util
import json
import os
import sys

DECORATORS = ("webhook_endpoint", "add_webhook")
PROVIDED = ("huggingface_hub", "__future__")


def callee_name(node):
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def path_argument(call):
    """The path given to the decorator: a string, None (none given), or False (not a literal)."""
    value = call.args[0] if call.args else None
    for keyword in call.keywords:
        if keyword.arg == "path":
            value = keyword.value
    if value is None:
        return None
    if isinstance(value, ast.Constant) and (value.value is None or isinstance(value.value, str)):
        return value.value
    return False


def route_name(path, function):
    name = (path or function).strip("/")
    return name or function


class FileScan(object):
    def __init__(self, path):
        self.path = path
        self.routes = []
        self.problems = []
        self.has_handle = False

    def add(self, path, function, line):
        if path is False:
            self.problems.append(
                "line {}: the path given for {}() is not a string literal; hf-webhooks reads routes"
                " without running the file".format(line, function)
            )
            return
        self.routes.append({"name": route_name(path, function), "function": function, "line": line})

    def decorated(self, node):
        for decorator in node.decorator_list:
            if isinstance(decorator, ast.Call) and callee_name(decorator.func) in DECORATORS:
                self.add(path_argument(decorator), node.name, decorator.lineno)
            elif callee_name(decorator) in DECORATORS:
                self.add(None, node.name, decorator.lineno)

    def called(self, call):
        """``app.add_webhook("p")(f)`` and ``app.add_webhook(f)`` written as statements."""
        inner = call.func
        if isinstance(inner, ast.Call) and callee_name(inner.func) in DECORATORS:
            if call.args and isinstance(call.args[0], ast.Name):
                self.add(path_argument(inner), call.args[0].id, call.lineno)
        elif callee_name(inner) in DECORATORS and call.args and isinstance(call.args[0], ast.Name):
            self.add(None, call.args[0].id, call.lineno)

    def imports(self, node):
        if isinstance(node, ast.Import):
            return [(alias.name, node.lineno) for alias in node.names]
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            return [(node.module, node.lineno)]
        return []

    def scan(self, directory):
        stem = os.path.splitext(os.path.basename(self.path))[0]
        if stem in getattr(sys, "stdlib_module_names", ()):
            # The folder comes first on a worker's sys.path: every handler would import this file
            # in place of the standard library's module.
            self.problems.append(
                "{} has the name of Python's own module {}, which every handler in the folder would"
                " import in its place: rename it".format(os.path.basename(self.path), stem)
            )
        try:
            with open(self.path, "rb") as source:
                tree = ast.parse(source.read(), self.path)
        except SyntaxError as error:
            self.problems.append(
                "{} has a syntax error at line {}, column {}: {}".format(
                    os.path.basename(self.path), error.lineno, error.offset, error.msg
                )
            )
            return
        except (OSError, ValueError) as error:
            self.problems.append("cannot read {}: {}".format(self.path, error))
            return
        missing = []
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.has_handle |= node.name == "handle"
                self.decorated(node)
            elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                self.called(node.value)
            for module, line in self.imports(node):
                top = module.split(".")[0]
                if top not in PROVIDED and not findable(top, directory):
                    missing.append((top, line))
        for top, line in missing:
            self.problems.append(
                "line {}: No module named '{}' for {}; install it for that Python, or choose"
                " another with --python".format(line, top, sys.executable)
            )
        seen = set()
        for route in self.routes:
            if route["name"] in seen:
                self.problems.append(
                    "line {}: /webhooks/{} is registered twice".format(route["line"], route["name"])
                )
            seen.add(route["name"])

    def result(self):
        kind = "app" if self.routes else "handle" if self.has_handle else "none"
        return {
            "path": self.path,
            "kind": kind,
            "routes": self.routes,
            "problem": "; ".join(self.problems) if self.problems else None,
        }


def findable(top, directory):
    if top in sys.builtin_module_names:
        return True
    if os.path.exists(os.path.join(directory, top + ".py")) or os.path.isdir(
        os.path.join(directory, top)
    ):
        return True
    try:
        return importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):
        return False


def main():
    version = "{}.{}.{}".format(*sys.version_info[:3])
    if sys.version_info < (3, 9):
        print(json.dumps({"python": version, "executable": sys.executable, "files": []}))
        return 0
    files = []
    for path in sys.argv[1:]:
        scan = FileScan(path)
        scan.scan(os.path.dirname(os.path.abspath(path)))
        files.append(scan.result())
    print(json.dumps({"python": version, "executable": sys.executable, "files": files}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
