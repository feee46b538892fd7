# chiron's PEP 517 hook runner: run in the build environment with the
# project's folder as the working directory, as
#     python hooks.py REQUEST.json RESULT.json
# REQUEST: {"hook", "backend", "backend_path", "args", "umask"}; the
# arguments are passed by position, as pyproject-hooks passes them (a
# backend may name its parameters as it likes).
# RESULT: {"result": ...} | {"missing": true} | {"error": {...}}.
# The backend's own output goes to this process's stdout and stderr.
import importlib
import json
import os
import sys
import traceback


def write(path, value):
    with open(path, "w", encoding="utf-8") as out:
        json.dump(value, out)


def load_backend(reference, backend_path):
    module_name, _, object_path = reference.partition(":")
    if backend_path:
        sys.path[:0] = backend_path
    module = importlib.import_module(module_name)
    if backend_path:
        # PEP 517: an in-tree backend must come from backend-path.
        origin = os.path.realpath(getattr(module, "__file__", "") or "")
        roots = [os.path.realpath(p) for p in backend_path]
        if not any(origin == r or origin.startswith(r + os.sep) for r in roots):
            raise ImportError(
                "backend %s was loaded from %s, not from backend-path %s"
                % (module_name, origin, backend_path)
            )
    backend = module
    for name in filter(None, object_path.split(".")):
        backend = getattr(backend, name)
    return backend


def main():
    request_path, result_path = sys.argv[1], sys.argv[2]
    with open(request_path, encoding="utf-8") as f:
        request = json.load(f)
    os.umask(int(request["umask"], 8))
    hook = request["hook"]
    try:
        backend = load_backend(request["backend"], request["backend_path"])
    except Exception as error:
        traceback.print_exc()
        write(result_path, {"error": {
            "kind": "backend-unavailable",
            "type": type(error).__name__,
            "message": str(error),
        }})
        return
    function = getattr(backend, hook, None)
    if function is None:
        write(result_path, {"missing": True})
        return
    try:
        result = function(*request["args"])
    except BaseException as error:  # SystemExit too: setuptools exits on errors
        traceback.print_exc()
        write(result_path, {"error": {
            "kind": "hook-failed",
            "type": type(error).__name__,
            "message": str(error),
        }})
        return
    write(result_path, {"result": result})


if __name__ == "__main__":
    main()
