"""Tracer for one demo program, CPython 3.6 - 3.14.

Usage by hand (fd 3 is a pipe the reader of the events opens):

    TRACE_EVENTS_FD=3 python -u engine/python/tracer.py /abs/path/to/demo.py

The engine skips that first interpreter: it starts ``python /abs/path/to/demo.py`` with
the environment ``launch`` below sets up (``tracedCommand`` in index.ts).

How the demo runs
-----------------
The demo must print exactly what ``python /abs/path/to/demo.py`` prints: tracebacks,
carets, ``traceback.print_stack()`` output, exit code. Any frame of ours under the demo's
``<module>`` frame would show up in stack dumps, so the demo is not exec'd from here:
this script replaces itself (``os.execv``, same pid, same pipes) with exactly the plain
command ``python /abs/path/to/demo.py``, and the tracer is loaded at interpreter start-up
as ``sitecustomize`` (``boot/sitecustomize.py``, found through ``PYTHONPATH``). It
installs the hooks, then undoes every trace of itself the demo could see (the
``PYTHONPATH`` entry and the environment variables, ``sys.path``, ``sys.modules``) and
chains to the installation's own ``sitecustomize`` if there is one. The interpreter
then runs the demo as ``__main__`` itself, and prints its uncaught exception itself.

Hooks: ``sys.settrace`` on 3.6 - 3.11 (plus ``sys.setprofile`` while a demo frame runs,
for blocking builtins); ``sys.monitoring`` on 3.12+, switched on for the demo's code
objects only. Only the main thread is traced.

Events
------
One JSON object per line on fd 3: the tracer protocol, version 1, which gdb_tracer.py
speaks too (schemas: engine/tracer-protocol.ts; docs/recording-format.md). Keys are short
on purpose.

  {"e":"hello", "v":1, "impl":"CPython", "version":"3.11.7", "executable":"/.../python3.11",
   "demo":"/abs/demo.py", "backend":"settrace", "maxSteps":5000}
  {"e":"step", "i":0, "k":KIND, "t":MS, "s":STACK, "a":CHAINS, "d":DETAIL}
      KIND    call | line | return | raise | await | resume | block | idle
      MS      program time in ms since the demo's first line, tracer time taken out
      STACK   the physical stack, outermost first: [FRAME, ...]; the step is in the last
      FRAME   [file, line or null, column (1-based) or null, function]
      CHAINS  null when no asyncio loop is running, else one per pending task in
              creation order: {"l":label, "c":is-the-running-task, "s":[FRAME, ...],
              "w":awaiting}; s = the task's coroutine, then what it awaits, outermost
              first; w = repr of the future the task waits on, or null. At an await
              step the running task's chain goes on past the suspending frame with
              the coroutines that suspended just before it, in the same instant
      DETAIL  a string or null (the exception at a raise, what is awaited ...)
      On 3.14+, await, idle and resume steps while a loop runs also have
      "g":GRAPH, the runtime's own call graph (``asyncio.capture_call_graph``) of every
      pending task, in the order of CHAINS: [{"l":label, "t":is-a-task, "s":[FRAME, ...],
      "b":[label, ...]}, ...]; s = the coroutine stack capture_call_graph gives, outermost
      first (the running task's is read off the thread's stack from this step's frame, as
      capture_call_graph does for the current task; the others through cr_await); b = the
      labels of what awaits it (awaited_by). A future that is not a task (gather's) is a node
      of its own after the tasks, labelled "<ClassName #n>". See call_graph.
      With TRACE_HOLD_IDLE=1 in the environment, idle steps also have "h":1 and the
      program is held there (the loop about to wait in its selector) until the engine
      writes one byte back on fd 3 (at most 5 s): time for it to look at the process from
      outside (``python -m asyncio pstree <pid>``). The wait is tracer time.
  {"e":"capped", "n":5000, "why":"..."}   no more steps will come
  {"e":"exc", "type":"Exception", "msg":"...", "frames":[[file, line, col, function, source], ...],
   "printed":"Traceback (most recent call last):\n...", "compile":false, "hook":"default"}
      the uncaught exception, frames outermost first as printed; msg = null when only the
      demo's own __str__ could say it (the tracer does not run demo code); printed = the
      text sys.excepthook wrote (null if unknown); compile = it was raised before the
      demo ran (a SyntaxError in the demo file: no frames); hook = default | custom (the
      demo installed its own sys.excepthook) | unknown
  {"e":"end", "exit":1, "started":true, "steps":42, "capped":false, "overheadMs":3.1, "skipped":0}
      the program is exiting (exit: the code the interpreter exits with, as far as the
      tracer knows; started: the demo's code ran at all); skipped: steps left out near
      the recursion limit
"""
import os
import sys

PROTOCOL_VERSION = 1  # the tracer protocol (engine/tracer-protocol.ts, docs/recording-format.md)
MAX_STEPS = 5000
MAX_FRAMES = 200000  # frames summed over all steps: a deep recursion must not make 100 MB
RECURSION_HEADROOM = 40  # no step when the stack is this close to the recursion limit
PY = sys.version_info


def launch(demo):
    """Run as a script: become ``python <demo>`` with the tracer loaded at start-up."""
    demo = os.path.abspath(demo)
    here = os.path.dirname(os.path.abspath(__file__))
    env = os.environ
    previous = env.get('PYTHONPATH')
    env['TRACE_PREVIOUS_PYTHONPATH'] = 'unset' if previous is None else 'set:' + previous
    boot = os.path.join(here, 'boot')
    env['PYTHONPATH'] = boot if not previous else boot + os.pathsep + previous
    env['TRACE_DEMO'] = demo
    env.setdefault('TRACE_EVENTS_FD', '3')
    argv0 = sys.orig_argv[0] if getattr(sys, 'orig_argv', None) else sys.executable
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [argv0, demo])


# --- the events pipe ---------------------------------------------------------------

_fd = None
_pid = None
_dumps = None


def emit(event):
    global _fd
    if _fd is None:
        return
    if os.getpid() != _pid:  # a forked child (multiprocessing): only the demo's process reports
        _fd = None
        return
    data = (_dumps(event) + '\n').encode('utf-8', 'surrogateescape')
    try:
        while data:
            n = os.write(_fd, data)
            data = data[n:]
    except OSError:
        _fd = None  # the reader went away: keep running the demo, stop reporting


def await_go(timeout=5.0):
    """Held at a step ("h":1): wait for the engine's one byte on the events fd, or the timeout."""
    if _fd is None:
        return
    import select
    try:
        ready, _, _ = select.select([_fd], [], [], timeout)
        if ready:
            os.read(_fd, 1)
    except (OSError, ValueError):
        pass


# --- bytecode helpers ---------------------------------------------------------------

CO_GENERATOR, CO_COROUTINE, CO_ITERABLE_COROUTINE, CO_ASYNC_GENERATOR = 0x20, 0x80, 0x100, 0x200
CO_SUSPENDABLE = CO_GENERATOR | CO_COROUTINE | CO_ITERABLE_COROUTINE | CO_ASYNC_GENERATOR
CO_ASYNC = CO_COROUTINE | CO_ITERABLE_COROUTINE | CO_ASYNC_GENERATOR

_OP = {}
YIELD_VALUE = YIELD_FROM = RESUME = None
RETURN_OPS = PLUMBING_OPS = frozenset()


def _load_opcodes():
    global _OP, YIELD_VALUE, YIELD_FROM, RESUME, RETURN_OPS, PLUMBING_OPS
    import opcode
    _OP = opcode.opmap
    YIELD_VALUE = _OP.get('YIELD_VALUE')
    YIELD_FROM = _OP.get('YIELD_FROM')  # <= 3.10
    RESUME = _OP.get('RESUME')  # >= 3.11
    RETURN_OPS = frozenset(_OP[n] for n in ('RETURN_VALUE', 'RETURN_CONST') if n in _OP)
    # Where StopIteration / StopAsyncIteration are plumbing, not the program's exception.
    PLUMBING_OPS = frozenset(_OP[n] for n in (
        'YIELD_FROM', 'SEND', 'END_SEND', 'YIELD_VALUE', 'RESUME', 'FOR_ITER', 'GET_ANEXT',
        'END_ASYNC_FOR', 'CLEANUP_THROW', 'JUMP_BACKWARD_NO_INTERRUPT', 'CACHE') if n in _OP)


_code_cache = {}  # id(code) -> (code, co_code bytes, positions list or None)


def _code_info(code):
    entry = _code_cache.get(id(code))
    if entry is None or entry[0] is not code:
        positions = list(code.co_positions()) if PY >= (3, 11) else None
        entry = (code, code.co_code, positions)
        _code_cache[id(code)] = entry
    return entry


def _op_at(code, lasti):
    raw = _code_info(code)[1]
    if 0 <= lasti < len(raw) - 1:
        return raw[lasti], raw[lasti + 1]
    return None, None


def _is_suspending(frame):
    """settrace, at a 'return' event of a generator-like frame: suspending or done?"""
    lasti = frame.f_lasti
    op, arg = _op_at(frame.f_code, lasti)
    if op is None:
        return False
    if op == YIELD_VALUE:
        return True
    if RESUME is not None:
        return op == RESUME and (arg & 3) != 0  # 3.13 reports the RESUME after the yield
    # <= 3.10: at a suspended `yield from` / `await`, f_lasti is one before YIELD_FROM
    return _op_at(frame.f_code, lasti + 2)[0] == YIELD_FROM


def _is_fresh_start(frame):
    """settrace, at a 'call' event of a generator-like frame: first entry or a resume?"""
    lasti = frame.f_lasti
    if lasti < 0:
        return True
    if RESUME is None:
        return False
    op, arg = _op_at(frame.f_code, lasti)
    return op == RESUME and (arg & 3) == 0


def _column(code, lasti):
    """1-based column in UTF-8 bytes of the instruction at lasti (3.11+), or None."""
    if PY < (3, 11) or lasti < 0:
        return None
    positions = _code_info(code)[2]
    i = lasti // 2
    if i < len(positions):
        col = positions[i][2]
        if col is not None:
            return col + 1
    return None


def _char_column(line_text, byte_col):
    """1-based byte column (UTF-8, as co_positions gives it) -> 1-based character column."""
    if byte_col is None or not line_text:
        return byte_col
    try:
        raw = line_text.encode('utf-8')
    except UnicodeError:
        return byte_col
    if len(raw) == len(line_text):
        return byte_col
    return len(raw[:byte_col - 1].decode('utf-8', 'replace')) + 1


# --- the tracer ----------------------------------------------------------------------

class Tracer(object):
    """What a step is. Two backends (below) say when one happens."""

    def __init__(self, demo):
        self.demo = demo
        self.main_code = None  # the demo's module code, once it runs
        self.lines = None
        self.start = None
        self.overhead = 0.0
        self.count = 0
        self.frame_total = 0
        self.skipped = 0
        self.capped = False
        self.last_idle = False
        self.suspending = None  # (the frame that suspends next, the chain below it): see suspended_chain
        self.task_seq = None  # WeakKeyDictionary task -> creation number, made on demand
        self.task_counter = 0
        self.backend = None
        self.hold_idle = False  # TRACE_HOLD_IDLE: wait for the engine at every idle step
        self.outcome = None  # the exception that left the demo's <module> frame
        self.exc_reported = False

    def now_ms(self, t):
        return round((t - self.start - self.overhead) * 1000.0, 3)

    def demo_started(self, frame, t):
        """The demo's <module> frame starts: clean up what start-up left behind."""
        self.main_code = frame.f_code
        self.start = t
        mod = sys.modules.get('sitecustomize')
        if getattr(mod, '__trace_engine_boot__', False):
            del sys.modules['sitecustomize']
        try:
            with open(self.demo, 'rb') as f:
                raw = f.read()
            text = raw.decode('utf-8')
            self.lines = text.lstrip('\ufeff').splitlines()
        except (OSError, UnicodeError):
            self.lines = []

    # frames
    def frame_entry(self, f):
        code = f.f_code
        line = f.f_lineno
        if line == 0:  # 3.13: a module frame at its RESUME
            line = code.co_firstlineno
        col = _column(code, f.f_lasti)
        if col is not None and line and code.co_filename == self.demo and self.lines and line <= len(self.lines):
            col = _char_column(self.lines[line - 1], col)
        return [code.co_filename, line, col, code.co_name]

    @staticmethod
    def frames(f):
        """The physical stack, outermost first."""
        out = []
        while f is not None:
            out.append(f)
            f = f.f_back
        out.reverse()
        return out

    # asyncio
    def chains(self, physical):
        aio = sys.modules.get('asyncio')
        events = sys.modules.get('asyncio.events')
        if aio is None or events is None:
            return None
        try:
            loop = events._get_running_loop()
            if loop is None:
                return None
            if PY >= (3, 7):
                tasks = aio.all_tasks(loop)
                current = aio.current_task(loop)
            else:
                tasks = [t for t in aio.Task.all_tasks(loop) if not t.done()]
                current = aio.Task.current_task(loop)
        except Exception:
            return None
        out = []
        for task in sorted(tasks, key=self.task_order):
            coro = task.get_coro() if hasattr(task, 'get_coro') else getattr(task, '_coro', None)
            label = task.get_name() if hasattr(task, 'get_name') else 'Task-%d' % self.task_number(task)
            is_current = task is current
            frames = []
            awaiting = None
            if is_current:
                # A running coroutine's cr_await is not set: the running task's chain is
                # the physical stack from its coroutine's frame down.
                top = getattr(coro, 'cr_frame', None) or getattr(coro, 'gi_frame', None)
                started = False
                for f in physical:
                    started = started or f is top
                    if started:
                        frames.append(self.frame_entry(f))
            else:
                obj = coro
                depth = 0
                while obj is not None and depth < 200:
                    depth += 1
                    if hasattr(obj, 'cr_frame'):
                        f, nxt = obj.cr_frame, obj.cr_await
                    elif hasattr(obj, 'gi_frame'):
                        f, nxt = obj.gi_frame, obj.gi_yieldfrom
                    elif hasattr(obj, 'ag_frame'):
                        f, nxt = obj.ag_frame, obj.ag_await
                    else:
                        break  # a Future's iterator or another awaitable
                    if f is None:  # finished
                        obj = None
                        break
                    frames.append(self.frame_entry(f))
                    obj = nxt
                waiter = getattr(task, '_fut_waiter', None)
                if waiter is not None:
                    awaiting = _short_repr(waiter)
                elif obj is not None:
                    awaiting = _short_repr(obj)
            out.append({'l': label, 'c': is_current, 's': frames, 'w': awaiting})
        return out

    def suspended_chain(self, chains, physical):
        """At an await, the running task's chain as read off the stack ends at the frame that
        suspends; the coroutines it awaits suspended just before it (the previous await steps
        of this same suspension, innermost first) and are what it waits on: the chain goes
        on with them, as the task's chain shows once the loop is idle."""
        current = next((c for c in chains or () if c['c']), None)
        tail = []
        if self.suspending is not None and self.suspending[0] is physical[-1]:
            tail = self.suspending[1]
        self.suspending = None
        if current is None or not current['s']:
            return
        current['s'] = current['s'] + tail
        if len(physical) >= 2:
            # The caller suspends next, with this frame and what it awaits below it.
            self.suspending = (physical[-2], current['s'][-len(tail) - 1:])

    def call_graph(self, frame):
        """The runtime's own view of every pending task (3.14+: asyncio.capture_call_graph),
        flattened to one node per future; None before 3.14 or with no running loop."""
        aio = sys.modules.get('asyncio')
        capture = getattr(aio, 'capture_call_graph', None)
        events = sys.modules.get('asyncio.events')
        if capture is None or events is None:
            return None
        loop = events._get_running_loop()
        if loop is None:
            return None
        current = aio.current_task(loop)
        # For the running task capture_call_graph reads the thread's stack from
        # sys._getframe(depth), counted from its caller (here): start it at the step's frame.
        depth = 1
        f = sys._getframe(0)
        while f is not None and f is not frame:
            f = f.f_back
            depth += 1
        del f
        nodes = []
        seen = {}

        def label(fut):
            if isinstance(fut, aio.Task):
                return fut.get_name()
            return '<%s #%d>' % (type(fut).__name__, self.task_number(fut))

        def add(graph):
            name = label(graph.future)
            if id(graph.future) in seen:
                return name
            node = {'l': name, 't': isinstance(graph.future, aio.Task),
                    's': [self.frame_entry(entry.frame) for entry in reversed(graph.call_stack)], 'b': []}
            seen[id(graph.future)] = node
            nodes.append(node)
            node['b'] = [add(parent) for parent in graph.awaited_by]
            return name

        tasks = sorted(aio.all_tasks(loop), key=self.task_order)
        for task in tasks:
            graph = capture(task, depth=depth) if task is current else capture(task)
            if graph is not None:
                add(graph)
        # The tasks in the order of the chains, then the futures between them.
        first = [seen[id(task)] for task in tasks if id(task) in seen]
        return first + [n for n in nodes if not any(n is m for m in first)]

    def task_number(self, task):
        if self.task_seq is None:
            import weakref
            self.task_seq = weakref.WeakKeyDictionary()
        n = self.task_seq.get(task)
        if n is None:
            self.task_counter += 1
            n = self.task_seq[task] = self.task_counter
        return n

    def task_order(self, task):
        name = task.get_name() if hasattr(task, 'get_name') else None
        if name is not None:
            if name.startswith('Task-') and name[5:].isdigit():
                return int(name[5:])
            return 10 ** 9 + self.task_number(task)
        return self.task_number(task)

    # steps
    def step(self, kind, frame, t, detail=None, line=None):
        if self.capped or self.start is None:
            return
        physical = self.frames(frame)
        if len(physical) + RECURSION_HEADROOM > sys.getrecursionlimit():
            # Building and sending a step takes a few frames more: not this close to the limit.
            self.skipped += 1
            return
        if kind == 'idle':
            if self.last_idle:
                return
            self.last_idle = True
        else:
            self.last_idle = False
        try:
            stack = [self.frame_entry(f) for f in physical]
            if line is not None:  # where the innermost frame is about to be, not where it is
                stack[-1][1:3] = [line, None]
            chains = self.chains(physical)
            if kind == 'await':
                self.suspended_chain(chains, physical)
            else:
                self.suspending = None
            event = {'e': 'step', 'i': self.count, 'k': kind, 't': self.now_ms(t), 's': stack,
                     'a': chains, 'd': detail}
            if kind == 'idle' and self.hold_idle:
                event['h'] = 1
            if chains is not None and kind in ('await', 'idle', 'resume') and PY >= (3, 14):
                graph = self.call_graph(frame)
                if graph is not None:
                    event['g'] = graph
                    self.frame_total += sum(len(n['s']) for n in graph)
            self.frame_total += len(stack) + sum(len(c['s']) for c in chains or ())
        except Exception as e:  # a tracer bug must never become the demo's exception
            event = {'e': 'step', 'i': self.count, 'k': kind, 't': self.now_ms(t), 's': [], 'a': None,
                     'd': 'tracer error: %s' % _short_repr(e)}
        del physical
        emit(event)
        if event.get('h'):
            await_go()
        self.count += 1
        if self.count >= MAX_STEPS:
            self.cap('the step limit (%d) was reached' % MAX_STEPS)
        elif self.frame_total >= MAX_FRAMES:
            self.cap('the stacks got too deep (%d frames recorded in all)' % self.frame_total)

    def cap(self, why):
        self.capped = True
        self.backend.stop()
        emit({'e': 'capped', 'n': self.count, 'why': why})

    def idle(self, frame, t):
        """A call of selectors' select(): the loop waits, unless it only polls (timeout 0)."""
        try:
            timeout = frame.f_locals.get('timeout')
        except Exception:
            timeout = None
        if timeout is None or timeout > 0:
            self.step('idle', frame, t, 'the event loop waits in the selector (timeout=%s)' % (
                'None' if timeout is None else '%.3f s' % timeout), _blocking_line(frame.f_code))

    def reraise(self, frame, exc_type, exc, t):
        """run_until_complete raises the exception its task stored (future.result()): the
        traceback goes on from the task's frames, not from the loop's frames under them."""
        if issubclass(exc_type, (StopIteration, StopAsyncIteration)):
            return
        future = frame.f_locals.get('future')
        name = future.get_name() if hasattr(future, 'get_name') else 'the task'
        self.step('raise', frame, t, '%s (stored by %s, raised again by future.result())' % (
            _exc_line(exc_type, exc), name))

    def block(self, fn, frame, t):
        name = _blocking_name(fn)
        if name is not None:
            self.step('block', frame, t, 'calls %s(), the thread blocks' % name)

    # the end
    def demo_unwinding(self, exc):
        """An exception leaves the demo's <module> frame: the interpreter will print it."""
        self.outcome = exc
        if isinstance(exc, SystemExit):
            return
        hook = getattr(sys, 'excepthook', None)
        if hook is None:
            return
        tracer = self

        # Installed only now, when no code of the demo's can see it any more; the
        # interpreter calls it next, and it takes itself out at once.
        def excepthook(exc_type, value, tb):
            if sys.excepthook is excepthook:
                sys.excepthook = hook
            tracer.report_uncaught(hook, exc_type, value, tb)
        sys.excepthook = excepthook

    def report_uncaught(self, hook, exc_type, value, tb):
        self.backend.stop()
        printed = None
        err = sys.stderr
        if err is not None:
            import io
            capture = io.StringIO()
            sys.stderr = capture
            try:
                hook(exc_type, value, tb)
            finally:
                if sys.stderr is capture:
                    sys.stderr = err
                printed = capture.getvalue()
                err.write(printed)
                err.flush()
        else:
            hook(exc_type, value, tb)
        self.exc_reported = True
        message = _exc_message(value)
        if message is None and printed:
            message = _printed_message(printed, _type_name(exc_type))
        emit({'e': 'exc', 'type': _type_name(exc_type), 'msg': message, 'frames': _tb_frames(tb),
              'printed': printed, 'compile': False, 'hook': 'default' if hook is sys.__excepthook__ else 'custom'})

    def at_exit(self):
        """Registered before the demo runs, so it runs after the demo's own atexit callbacks."""
        self.backend.stop()
        # What the interpreter printed last, when the hooks could not see it: the demo did
        # not compile, or the tracer had stopped (step limit) before the exception.
        value = None
        if self.main_code is None or self.outcome is not None or self.capped:
            value = getattr(sys, 'last_exc', None) or getattr(sys, 'last_value', None)
        if not self.exc_reported and value is not None and not isinstance(value, SystemExit):
            emit({'e': 'exc', 'type': _type_name(type(value)), 'msg': _exc_message(value),
                  'frames': _tb_frames(getattr(value, '__traceback__', None)) if self.main_code else [],
                  'printed': None, 'compile': self.main_code is None, 'hook': 'unknown'})
        outcome = self.outcome if self.outcome is not None else value
        if isinstance(outcome, SystemExit):
            code = outcome.code
            status = 0 if code is None else code if isinstance(code, int) else 1
        elif outcome is not None or self.main_code is None:
            status = 1
        else:
            status = 0
        emit({'e': 'end', 'exit': status, 'started': self.main_code is not None, 'steps': self.count,
              'capped': self.capped, 'overheadMs': round(self.overhead * 1000, 3), 'skipped': self.skipped})


class SettraceBackend(object):
    """CPython 3.6 - 3.11: sys.settrace, plus sys.setprofile while a demo frame runs.

    A 'return' event is a return, a suspension or an exception leaving the frame; which
    one, and whether a 'call' event is a first call or a resume, comes from the
    instruction at f_lasti:
    - a return is at RETURN_VALUE;
    - <= 3.10 a frame suspended in `await`/`yield from` has f_lasti one instruction
      before YIELD_FROM (it re-executes it when resumed); `yield` is YIELD_VALUE;
    - 3.11 a suspending frame is at YIELD_VALUE; a frame starts at RESUME with oparg 0
      and resumes at a RESUME whose oparg (1 yield, 2 yield from, 3 await) is not 0;
    - anything else is an exception leaving the frame; so is a 'return' at a yield when
      the frame's last event was an 'exception' at that same instruction (an exception
      thrown into the suspended frame that it does not catch).
    """
    name = 'settrace'

    def __init__(self, tracer):
        self.t = tracer
        self.demo = tracer.demo
        self.exc_at = {}  # id(frame) -> f_lasti of its last 'exception' event
        self.at_line = {}  # id(frame) -> its line at its last 'line' event or resume
        self.main_exc = None  # the last exception seen in the demo's <module> frame
        self.profiling = False
        self.stopped = False

    def start(self):
        _load_opcodes()
        sys.settrace(self.global_trace)

    def stop(self):
        if self.stopped:
            return
        self.stopped = True
        sys.settrace(None)
        if self.profiling:
            sys.setprofile(None)
            self.profiling = False

    # sys.setprofile is costly (it sees every call and C call of the process), so it is
    # on only while a demo frame is the running frame: blocking builtins called by the demo.
    def set_profiling(self, on):
        if on != self.profiling and not self.stopped:
            sys.setprofile(self.profile if on else None)
            self.profiling = on

    def profile(self, frame, event, arg):
        if event == 'c_call' and frame.f_code.co_filename == self.demo:
            t = _now()
            try:
                self.t.block(arg, frame, t)
            except Exception as e:
                _tracer_failed(e)
            self.t.overhead += _now() - t

    # 'call' events of every Python frame
    def global_trace(self, frame, event, arg):
        code = frame.f_code
        demo = self.demo
        if code.co_filename == demo:
            t = _now()
            if self.stopped:
                return None
            try:
                if self.t.start is None:
                    self.t.demo_started(frame, t)
                if code.co_flags & CO_SUSPENDABLE and not _is_fresh_start(frame):
                    self.at_line[id(frame)] = frame.f_lineno
                    if code.co_flags & CO_ASYNC:
                        self.t.step('resume', frame, t)
                    else:
                        self.t.step('call', frame, t, 'generator resumed')
                else:
                    self.t.step('call', frame, t)
                self.set_profiling(True)
            except Exception as e:
                _tracer_failed(e)
            self.t.overhead += _now() - t
            return self.local_trace
        name = code.co_name
        if name == 'select' and code.co_filename.endswith('selectors.py'):
            t = _now()
            try:
                self.t.idle(frame, t)
            except Exception as e:
                _tracer_failed(e)
            self.t.overhead += _now() - t
        elif name == 'create_task' and PY < (3, 8) and code.co_filename.endswith('base_events.py'):
            return self.on_create_task
        reraise = _is_run_until_complete(code)
        back = frame.f_back
        if back is not None and back.f_code.co_filename == demo:
            # Called by the demo: no profiling inside, back on when it returns.
            self.set_profiling(False)
            if PY >= (3, 7):
                frame.f_trace_lines = False
            return self.reraise_trace if reraise else self.child_trace
        if reraise and PY >= (3, 7):
            frame.f_trace_lines = False
        return self.reraise_trace if reraise else None

    def reraise_trace(self, frame, event, arg):
        """Local trace function of run_until_complete: the re-raise of the task's exception."""
        if event == 'exception' and not self.stopped:
            t = _now()
            try:
                self.t.reraise(frame, arg[0], arg[1], t)
            except Exception as e:
                _tracer_failed(e)
            self.t.overhead += _now() - t
        elif event == 'return':
            back = frame.f_back
            if back is not None and back.f_code.co_filename == self.demo:
                self.set_profiling(True)
            return None
        return self.reraise_trace

    def child_trace(self, frame, event, arg):
        """Local trace function of a non-demo frame called by a demo frame."""
        if event == 'return':
            self.set_profiling(True)
            return None
        return self.child_trace

    def on_create_task(self, frame, event, arg):
        """3.6/3.7 (no task names): number tasks in creation order, like 3.8's Task-N."""
        if event == 'return' and arg is not None:
            try:
                self.t.task_number(arg)
            except TypeError:
                pass
        return self.on_create_task

    # the local trace function of demo frames
    def local_trace(self, frame, event, arg):
        t = _now()
        if self.stopped:
            return None
        try:
            step = self.t.step
            if event == 'line':
                self.exc_at.pop(id(frame), None)
                # A loop within one line jumps back to it: like sys.monitoring (3.12+),
                # a line step only when the line changes.
                line = frame.f_lineno
                if self.at_line.get(id(frame)) != line:
                    self.at_line[id(frame)] = line
                    step('line', frame, t)
            elif event == 'return':
                code = frame.f_code
                flags = code.co_flags
                lasti = frame.f_lasti
                thrown_at = self.exc_at.pop(id(frame), None)
                unwinding = False
                if _op_at(code, lasti)[0] in RETURN_OPS:
                    step('return', frame, t, _short_repr(arg))
                elif flags & CO_SUSPENDABLE and thrown_at != lasti and _is_suspending(frame):
                    if flags & CO_ASYNC:
                        step('await', frame, t, _short_repr(arg))
                    else:
                        step('return', frame, t, 'generator suspended at yield: %s' % _short_repr(arg))
                else:
                    unwinding = True
                    step('return', frame, t, 'exception propagates')
                if unwinding or _op_at(code, lasti)[0] in RETURN_OPS:
                    self.at_line.pop(id(frame), None)
                back = frame.f_back
                self.set_profiling(back is not None and back.f_code.co_filename == self.demo)
                if code is self.t.main_code and back is None:
                    exc, self.main_exc = self.main_exc, None
                    if unwinding:
                        self.t.demo_unwinding(exc)
            elif event == 'exception':
                exc_type, exc, _tb = arg
                if not (issubclass(exc_type, (StopIteration, StopAsyncIteration))
                        and _op_at(frame.f_code, frame.f_lasti)[0] in PLUMBING_OPS):
                    self.exc_at[id(frame)] = frame.f_lasti
                    if frame.f_code is self.t.main_code:
                        self.main_exc = exc
                    step('raise', frame, t, _exc_line(exc_type, exc))
        except Exception as e:
            _tracer_failed(e)
        self.t.overhead += _now() - t
        return self.local_trace


def _monitoring_callback(demo_code_only=False):
    """Make a method a sys.monitoring callback: events of the main thread only (and, if asked,
    of the demo's own code only), the program's frame and the time handed in, the callback's
    own time counted as overhead (taken out of program time), a failure reported and never
    raised into the program."""
    def wrap(method):
        def callback(self, code, *args):
            if (demo_code_only and id(code) not in self.codes) or self.get_ident() != self.main_thread:
                return
            t = _now()
            try:
                method(self, sys._getframe(1), t, code, *args)
            except Exception as e:
                _tracer_failed(e)
            self.t.overhead += _now() - t
        return callback
    return wrap


class MonitoringBackend(object):
    """CPython 3.12+: sys.monitoring (PEP 669). Once the demo's <module> code starts,
    events are switched on for the demo's code objects only (and selectors' select()), so
    the rest of the program runs at full speed, and the events say directly what
    happened: PY_YIELD is a suspension, PY_UNWIND an exception leaving the frame."""
    name = 'monitoring'

    def __init__(self, tracer):
        self.t = tracer
        self.demo = tracer.demo
        self.tool = None
        self.codes = {}  # id(code) -> code: the demo's code objects
        self.selectors = {}  # id(code) -> code: selectors' select() methods
        self.selectors_pending = True
        self.main_thread = None
        self.at_line = {}  # id(frame) -> its line at its last LINE event or resume

    def start(self):
        _load_opcodes()
        import _thread
        self.main_thread = _thread.get_ident()
        self.get_ident = _thread.get_ident
        mon = sys.monitoring
        for tool in (mon.PROFILER_ID, 3, 4, mon.OPTIMIZER_ID, 1, 0):
            try:
                mon.use_tool_id(tool, 'async-trace-engine')
            except ValueError:
                continue
            self.tool = tool
            break
        else:
            raise RuntimeError('no free sys.monitoring tool id')
        E = mon.events
        self.callbacks = ((E.PY_START, self.on_start), (E.PY_RESUME, self.on_resume),
                          (E.PY_THROW, self.on_throw), (E.PY_RETURN, self.on_return),
                          (E.PY_YIELD, self.on_yield), (E.PY_UNWIND, self.on_unwind),
                          (E.RAISE, self.on_raise), (E.LINE, self.on_line), (E.CALL, self.on_call))
        for event, callback in self.callbacks:
            mon.register_callback(self.tool, event, callback)
        # Until the demo's <module> starts, every function start is looked at.
        mon.set_events(self.tool, E.PY_START)

    def watch_demo(self, main_code):
        mon = sys.monitoring
        E = mon.events
        local = E.PY_START | E.PY_RESUME | E.PY_RETURN | E.PY_YIELD | E.LINE | E.CALL
        todo = [main_code]
        while todo:
            code = todo.pop()
            self.codes[id(code)] = code
            mon.set_local_events(self.tool, code, local)
            todo.extend(c for c in code.co_consts if isinstance(c, type(code)))
        # These cannot be set per code object; the callbacks filter.
        mon.set_events(self.tool, E.PY_THROW | E.PY_UNWIND | E.RAISE)

    def stop(self):
        if self.tool is None:
            return
        mon = sys.monitoring
        tool, self.tool = self.tool, None
        mon.set_events(tool, 0)
        for code in list(self.codes.values()) + list(self.selectors.values()):
            mon.set_local_events(tool, code, 0)
        for event, _callback in self.callbacks:
            mon.register_callback(tool, event, None)
        mon.free_tool_id(tool)

    def watch_selectors(self):
        module = sys.modules.get('selectors')
        if module is None or self.tool is None:
            return
        self.selectors_pending = False
        for cls in list(vars(module).values()):
            fn = isinstance(cls, type) and cls.__dict__.get('select')
            code = getattr(fn, '__code__', None)
            if code is not None and id(code) not in self.selectors:
                self.selectors[id(code)] = code
                sys.monitoring.set_local_events(self.tool, code, sys.monitoring.events.PY_START)

    @_monitoring_callback()
    def on_start(self, frame, t, code, offset):
        if id(code) in self.codes:
            self.t.step('call', frame, t)
        elif id(code) in self.selectors:
            self.t.idle(frame, t)
        elif self.t.start is None and code.co_filename == self.demo and frame.f_back is None:
            self.t.demo_started(frame, t)
            self.watch_demo(code)
            self.t.step('call', frame, t)
        if self.selectors_pending:
            self.watch_selectors()

    @_monitoring_callback()
    def on_resume(self, frame, t, code, offset):
        self.at_line[id(frame)] = frame.f_lineno
        if code.co_flags & CO_ASYNC:
            self.t.step('resume', frame, t)
        else:
            self.t.step('call', frame, t, 'generator resumed')

    @_monitoring_callback(demo_code_only=True)
    def on_throw(self, frame, t, code, offset, exc):
        if code.co_flags & CO_ASYNC:
            self.t.step('resume', frame, t, 'thrown in: %s' % _exc_line(type(exc), exc))
        else:
            self.t.step('call', frame, t, 'generator resumed, thrown in: %s' % _exc_line(type(exc), exc))

    @_monitoring_callback()
    def on_return(self, frame, t, code, offset, value):
        self.at_line.pop(id(frame), None)
        self.t.step('return', frame, t, _short_repr(value))

    @_monitoring_callback()
    def on_yield(self, frame, t, code, offset, value):
        if code.co_flags & CO_ASYNC:
            self.t.step('await', frame, t, _short_repr(value))
        else:
            self.t.step('return', frame, t, 'generator suspended at yield: %s' % _short_repr(value))

    @_monitoring_callback(demo_code_only=True)
    def on_unwind(self, frame, t, code, offset, exc):
        self.at_line.pop(id(frame), None)
        self.t.step('return', frame, t, 'exception propagates')
        if code is self.t.main_code and frame.f_back is None:
            self.t.demo_unwinding(exc)

    @_monitoring_callback()
    def on_raise(self, frame, t, code, offset, exc):
        if id(code) not in self.codes:
            if _is_run_until_complete(code):
                self.t.reraise(frame, type(exc), exc, t)
            return
        # (3.13 gives an offset past the instruction: f_lasti is the instruction)
        if isinstance(exc, (StopIteration, StopAsyncIteration)) and _op_at(code, frame.f_lasti)[0] in PLUMBING_OPS:
            return  # an awaited coroutine or async generator handing over its value
        self.t.step('raise', frame, t, _exc_line(type(exc), exc))

    @_monitoring_callback()
    def on_line(self, frame, t, code, line):
        # Only when the line changes (3.13 reports the line again after a raise).
        if self.at_line.get(id(frame)) != line:
            self.at_line[id(frame)] = line
            self.t.step('line', frame, t)
        if self.selectors_pending:
            self.watch_selectors()

    @_monitoring_callback()
    def on_call(self, frame, t, code, offset, fn, arg0):
        self.t.block(fn, frame, t)


def _is_run_until_complete(code):
    return code.co_name == 'run_until_complete' and code.co_filename.endswith('base_events.py')


_blocking_lines = {}  # code -> its blocking line, or 0


def _blocking_line(code):
    """The line of select() that waits (`self._selector.poll(...)`, `self._select(...)`,
    `self._selector.control(...)`): select() is seen at its call, on its `def` line."""
    line = _blocking_lines.get(code)
    if line is None:
        line = 0
        try:
            import dis
            starts = sorted((o, n) for o, n in dis.findlinestarts(code) if n is not None)
            for ins in dis.get_instructions(code):
                if ins.opname in ('LOAD_ATTR', 'LOAD_METHOD') and ins.argval in ('poll', '_select', 'control'):
                    line = max([n for o, n in starts if o <= ins.offset] or [0])
                    break
        except Exception:
            line = 0
        _blocking_lines[code] = line
    return line or None


def _tracer_failed(error):
    """A hook failed. Never let it become the demo's exception; on 3.6 - 3.8 a swallowed
    RecursionError would leave the interpreter's overflow flag set, so let that one go."""
    if isinstance(error, RecursionError) and PY < (3, 9):
        raise error
    if not _failures:
        emit({'e': 'warn', 'msg': 'tracer error: %s' % _short_repr(error)})
    _failures.append(1)


_failures = []

_BLOCKING = {
    'time.sleep', 'select.select', 'builtins.input', 'posix.read', 'posix.wait', 'posix.waitpid',
    'posix.system', 'lock.acquire', 'RLock.acquire', 'socket.recv', 'socket.recv_into',
    'socket.recvfrom', 'socket.accept', 'socket.connect', 'socket.sendall', 'epoll.poll',
    'poll.poll', 'devpoll.poll', 'kqueue.control',
}
_BLOCKING_NAMES = frozenset(n.rsplit('.', 1)[1] for n in _BLOCKING)


def _blocking_name(fn):
    name = getattr(fn, '__name__', None)
    if name not in _BLOCKING_NAMES:
        return None
    owner = getattr(fn, '__self__', None)
    if owner is None or type(owner).__name__ == 'module':
        qual = '%s.%s' % (getattr(fn, '__module__', None) or getattr(owner, '__name__', '?'), name)
    else:
        qual = '%s.%s' % (type(owner).__name__, name)
    if qual not in _BLOCKING:
        return None
    if qual.startswith('builtins.'):
        return name
    if qual.startswith('posix.'):
        return 'os.' + name
    return qual


# Reprs and messages in the details must not run the demo's own code (a __repr__ that
# prints would change the output) nor take long (a list of a million items): only values
# of simple types, and objects of the runtime (asyncio futures and tasks), are shown.
_SIMPLE = (int, float, complex, bool, type(None), str, bytes)
_RUNTIME_MODULES = ('builtins', 'asyncio', '_asyncio', 'concurrent.futures', 'types')


def _short_repr(obj, limit=200):
    try:
        return _bounded_repr(obj, limit, 2)
    except Exception:
        return '<%s object>' % type(obj).__name__


def _bounded_repr(obj, limit, depth):
    t = type(obj)
    if t in _SIMPLE:
        if t in (str, bytes) and len(obj) > limit:
            return repr(obj[:limit])[:-1] + '...' + repr(obj[:1])[-1]
        return _cut(repr(obj), limit)
    if t in (list, tuple, set, frozenset, dict):
        if depth <= 0:
            return '%s(%d items)' % (t.__name__, len(obj))
        items = list(obj.items() if t is dict else obj)
        parts = []
        for item in items[:8]:
            if t is dict:
                parts.append('%s: %s' % (_bounded_repr(item[0], 40, depth - 1), _bounded_repr(item[1], 60, depth - 1)))
            else:
                parts.append(_bounded_repr(item, 60, depth - 1))
        if len(items) > 8:
            parts.append('...')
        body = ', '.join(parts)
        if t is tuple:
            return _cut('(%s%s)' % (body, ',' if len(items) == 1 else ''), limit)
        if t in (set, frozenset):
            return _cut('%s({%s})' % (t.__name__, body) if t is frozenset or not items else '{%s}' % body, limit)
        return _cut(('[%s]' if t is list else '{%s}') % body, limit)
    module = getattr(t, '__module__', '') or ''
    if module.split('.')[0] in _RUNTIME_MODULES and t not in (bytearray, memoryview):
        return _cut(repr(obj), limit)
    if _defined_in(t, '__repr__') is object:
        return _cut(object.__repr__(obj), limit)
    return '<%s object>' % _cut(_qualified(t), limit)


def _cut(text, limit):
    return text if len(text) <= limit else text[:limit - 3] + '...'


def _qualified(t):
    name = getattr(t, '__qualname__', t.__name__)
    module = getattr(t, '__module__', None)
    return name if module in (None, 'builtins', '__main__') else '%s.%s' % (module, name)


def _defined_in(t, name):
    for klass in t.__mro__:
        if name in klass.__dict__:
            return klass
    return None


def _type_name(exc_type):
    """The exception type as the interpreter prints it: 3.6 - 3.8 `module.Name`, 3.9 - 3.10
    `module.Qual.Name`, both without `builtins.`; 3.11+ also without `__main__.`."""
    if PY >= (3, 9):
        name = getattr(exc_type, '__qualname__', exc_type.__name__)
    else:
        name = exc_type.__name__.rsplit('.', 1)[-1]
    module = getattr(exc_type, '__module__', None)
    if not isinstance(module, str):
        return '<unknown>.' + name
    if module == 'builtins' or (module == '__main__' and PY >= (3, 11)):
        return name
    return module + '.' + name


def _exc_message(exc):
    """str(exc), if that runs no code of the demo's; else None."""
    if isinstance(exc, SyntaxError) and type(getattr(exc, 'msg', None)) is str:
        return exc.msg
    owner = _defined_in(type(exc), '__str__')
    if owner is None or owner.__module__ != 'builtins':
        return None
    group = getattr(sys.modules.get('builtins'), 'BaseExceptionGroup', None)
    if group is not None and isinstance(exc, group):
        return str(exc)  # the message and a count: no code of the demo's
    if not all(_simple(arg) for arg in exc.args):
        return None
    try:
        return str(exc)
    except Exception:
        return '<exception str() failed>'


def _simple(value, depth=0):
    t = type(value)
    if t in _SIMPLE:
        return True
    if t in (tuple, list) and depth < 2 and len(value) <= 20:
        return all(_simple(v, depth + 1) for v in value)
    return False


def _exc_line(exc_type, exc):
    msg = _exc_message(exc) if exc is not None else ''
    if msg is None:
        return '%s (its message comes from the demo\'s own __str__, not called here)' % _type_name(exc_type)
    return _cut('%s: %s' % (_type_name(exc_type), msg) if msg else _type_name(exc_type), 300)


def _printed_message(printed, type_name):
    """The message as sys.excepthook printed it: after `Type: ` on the exception line."""
    lines = printed.splitlines()
    header = -1
    for i, line in enumerate(lines):
        if line.endswith('Traceback (most recent call last):') and not line.startswith('    '):
            header = i
    for i in range(header + 1, len(lines)):
        line = lines[i][4:] if lines[i].startswith('  | ') else lines[i]
        if line == type_name:
            return ''
        if line.startswith(type_name + ': '):
            return '\n'.join([line[len(type_name) + 2:]] + lines[i + 1:])
    return None


def _tb_frames(tb):
    frames = []
    while tb is not None:
        f = tb.tb_frame
        code = f.f_code
        line = tb.tb_lineno
        raw = _source_line(code.co_filename, line)
        col = _char_column(raw, _column(code, tb.tb_lasti))
        frames.append([code.co_filename, line, col, code.co_name, raw.strip() if raw else None])
        tb = tb.tb_next
    limit = getattr(sys, 'tracebacklimit', None)
    if isinstance(limit, int):
        frames = frames[-limit:] if limit > 0 else []
    return frames


_sources = {}


def _source_line(filename, line):
    """One line of a source file, decoded as the interpreter would (PEP 263).

    Not linecache: importing it (and tokenize) while the interpreter is printing an
    uncaught KeyboardInterrupt makes 3.8 - 3.12 forget to exit with SIGINT."""
    if not line or line < 1:
        return None
    lines = _sources.get(filename)
    if lines is None:
        lines = []
        try:
            with open(filename, 'rb') as f:
                raw = f.read()
            encoding = 'utf-8'
            if raw.startswith(b'\xef\xbb\xbf'):
                raw = raw[3:]
            else:
                for head in raw.split(b'\n', 2)[:2]:
                    head = head.strip()
                    if not head.startswith(b'#'):
                        break
                    for marker in (b'coding:', b'coding='):
                        at = head.find(marker)
                        if at >= 0:
                            name = head[at + len(marker):].strip().split()[0] if head[at + len(marker):].strip() else b''
                            encoding = name.decode('ascii', 'replace') or encoding
                            break
                    else:
                        continue
                    break
            try:
                text = raw.decode(encoding, 'replace')
            except LookupError:
                text = raw.decode('utf-8', 'replace')
            lines = text.splitlines()
        except (OSError, ValueError):
            pass
        _sources[filename] = lines
    return lines[line - 1] if line <= len(lines) else None


def _version():
    v = '%d.%d.%d' % PY[:3]
    if PY.releaselevel != 'final':
        v += {'alpha': 'a', 'beta': 'b', 'candidate': 'rc'}.get(PY.releaselevel, PY.releaselevel) + str(PY.serial)
    return v


_now = None


def install():
    """Called by boot/sitecustomize.py at interpreter start-up, before the demo runs."""
    global _fd, _pid, _dumps, _now
    env = os.environ
    demo = env.pop('TRACE_DEMO', None)
    fd = env.pop('TRACE_EVENTS_FD', None)
    previous = env.pop('TRACE_PREVIOUS_PYTHONPATH', 'unset')
    backend_name = env.pop('TRACE_BACKEND', None)
    hold_idle = env.pop('TRACE_HOLD_IDLE', None) == '1'
    if previous.startswith('set:'):
        env['PYTHONPATH'] = previous[4:]
    else:
        env.pop('PYTHONPATH', None)
    if demo is None or fd is None:
        return
    try:
        _fd = int(fd)
        os.set_inheritable(_fd, False)
    except (ValueError, OSError):
        _fd = None
        return
    _pid = os.getpid()
    import json
    from time import perf_counter
    _now = perf_counter
    _dumps = json.JSONEncoder(ensure_ascii=False, separators=(',', ':'), default=repr).encode

    tracer = Tracer(demo)
    tracer.hold_idle = hold_idle
    use_monitoring = PY >= (3, 12) and backend_name != 'settrace'
    tracer.backend = (MonitoringBackend if use_monitoring else SettraceBackend)(tracer)
    impl = {'cpython': 'CPython'}.get(sys.implementation.name, sys.implementation.name)
    emit({'e': 'hello', 'v': PROTOCOL_VERSION, 'impl': impl, 'version': _version(), 'executable': sys.executable,
          'demo': demo, 'backend': tracer.backend.name, 'maxSteps': MAX_STEPS})
    import atexit
    atexit.register(tracer.at_exit)
    if hasattr(os, 'register_at_fork'):
        os.register_at_fork(after_in_child=lambda: tracer.backend.stop())
    try:
        tracer.backend.start()
    except Exception as error:  # e.g. no free sys.monitoring tool: fall back on settrace
        emit({'e': 'warn', 'msg': 'sys.monitoring unusable (%s): using sys.settrace' % _short_repr(error)})
        tracer.backend = SettraceBackend(tracer)
        tracer.backend.start()


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.stderr.write('usage: TRACE_EVENTS_FD=3 python -u tracer.py /abs/path/to/demo.py\n')
        sys.exit(2)
    launch(sys.argv[1])
