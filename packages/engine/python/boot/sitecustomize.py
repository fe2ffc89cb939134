"""Loads the trace engine's tracer at interpreter start-up (see ../tracer.py).

tracer.py puts this directory on PYTHONPATH and replaces itself with the plain
``python <demo>``; the interpreter imports this module while it starts. It installs
the tracer, removes itself from sys.path, and hands over to the installation's own
sitecustomize, if there is one, so the demo sees the same interpreter as a plain run.
"""
import sys

__trace_engine_boot__ = True


def _boot():
    import os
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or '.') != here]
    sys.path_importer_cache.pop(here, None)
    path = os.path.join(os.path.dirname(here), 'tracer.py')
    with open(path, 'rb') as f:
        source = f.read()
    # Not an import: the tracer stays out of sys.modules.
    namespace = {'__name__': '_async_trace_engine', '__file__': path, '__builtins__': __builtins__}
    exec(compile(source, path, 'exec'), namespace)
    namespace['install']()


_boot()
del _boot

# The installation's own sitecustomize, as a plain run would import it.
_self = sys.modules.pop('sitecustomize')
try:
    import sitecustomize  # noqa: F401
except ImportError as error:
    if error.name != 'sitecustomize':
        raise
    # None: keep this module where the import system looks for it when it finishes;
    # the tracer takes it out of sys.modules when the demo starts.
    sys.modules['sitecustomize'] = _self
del _self
