"""
Runs inside gdb (`gdb -batch -x gdb_tracer.py`): starts the compiled demo and records a
step each time the main thread reaches a new line of one of the demo's async fns or its
`main`, and when those polls return (Poll::Pending: an await; Poll::Ready: a return), when
the thread parks or sleeps (idle / block) and when it panics (raise). Each step carries the
physical stack that gdb unwinds. Events go to fd 3 in the tracer protocol, version 1, the
one CPython's tracer.py speaks (schemas: engine/tracer-protocol.ts; docs/recording-format.md):
`hello` once the program's main is reached, then `step`s (frames `[file, line, column,
function]`, outermost first), `capped`, `warn`, and `end` with the program's exit.

The program's stdout and stderr are the fds 1 and 2 gdb was started with, and gdb's own
messages go to fd 4, so what the program prints is byte for byte what a plain run prints.

Program time: gdb's monotonic clock from the program's C `main` (before it, gdb is busy
loading the shared libraries), minus the time spent in these handlers, read on entry and
exit of every stop. The time gdb takes to get from the trap to a handler is not seen, and
timer threads keep sleeping while the main thread is stopped: both are small next to the
demos' 100 ms sleeps.
"""
import json
import os
import re
import signal
import time

import gdb

CONFIG = globals().get('TRACE_CONFIG') or {}
BINARY = CONFIG['binary']
DEMO = CONFIG['demo']  # absolute path of the demo source

# gdb's own messages go to fd 4; fds 1 and 2 are the program's, so they are only put back
# for the moment gdb forks the program (gdb closes every other fd in the child).
PROGRAM_OUT, PROGRAM_ERR = os.dup(1), os.dup(2)
os.dup2(4, 1)
os.dup2(4, 2)
events = os.fdopen(3, 'w', buffering=1)
PROTOCOL_VERSION = 1


def emit(event):
    events.write(json.dumps(event) + '\n')


for command in [
    'set pagination off',
    'set confirm off',
    'set width 0',
    'set print thread-events off',
    'set print inferior-events off',
    'set disable-randomization off',  # ASLR on, as in a plain run
    'set startup-with-shell off',  # gdb execs the binary itself
    'handle all nostop noprint pass',  # the program's signals are its own, as in a plain run
    'unset environment LINES',
    'unset environment COLUMNS',
    # The demo's frames and std's are all in the binary: the shared libraries' symbols
    # (libc's) are not needed, and reading them costs every run a tenth of a second.
    'set auto-solib-add off',
]:
    gdb.execute(command, to_string=True)

gdb.execute('file "%s"' % BINARY.replace('\\', '\\\\').replace('"', '\\"'), to_string=True)

clock = time.perf_counter
started = None
paused = 0.0
main_pid = None
demangled = {}


def program_ms(entered):
    return round((entered - started - paused) * 1000, 2)


def clean_name(frame):
    fn = frame.function()
    linkage = getattr(fn, 'linkage_name', None) if fn else None
    if linkage and linkage.startswith(('_ZN', '_R')):
        if linkage not in demangled:
            try:
                text = gdb.execute('demangle -l rust -- ' + linkage, to_string=True).strip()
                text = re.sub(r'::h[0-9a-f]{16}$', '', text)
                text = re.sub(r'\[[0-9a-f]+\]', '', text)
            except gdb.error:
                text = None
            demangled[linkage] = text
        if demangled[linkage]:
            return demangled[linkage]
    return frame.name() or '??'


def describe(frame):
    sal = frame.find_sal()
    path = sal.symtab.fullname() if sal.symtab else None
    if path is None:
        solib = gdb.solib_name(frame.pc())
        path = solib or '??'
    # A protocol frame: [file, line, column (gdb has none), function].
    return [path, sal.line if sal.symtab and sal.line else None, None, clean_name(frame)]


def stack():
    """Innermost first, as gdb unwinds it (down to `main`: gdb stops at the program's main)."""
    frames, frame = [], gdb.newest_frame()
    while frame is not None and len(frames) < 200:
        frames.append(frame)
        frame = frame.older()
    return frames


def frame_key(frame):
    older = frame.older()
    sp = int(older.read_register('sp')) if older is not None else -1
    return (frame.name(), sp)


def is_coroutine(name):
    return '{async_fn#' in name or '{async_block#' in name


def on_main_thread():
    thread = gdb.selected_thread()
    return thread is not None and thread.ptid[1] == main_pid


def handler(fn):
    def wrapped(*args):
        global paused
        entered = clock()
        try:
            fn(entered, *args)
        except Exception as error:  # never let gdb stop the program
            emit({'e': 'warn', 'msg': '%s: %s' % (type(error).__name__, error)})
        paused += clock() - entered
        return False
    return wrapped


def step(entered, kind, frames, detail=None, where=None):
    global last_wait, count
    last_wait = None
    count += 1
    if count > MAX_STEPS:
        if count == MAX_STEPS + 1:
            for bp in gdb.breakpoints():
                bp.enabled = False
            emit({'e': 'capped', 'n': MAX_STEPS, 'why': 'the step limit (%d) was reached' % MAX_STEPS})
        return
    described = [describe(f) for f in frames]  # innermost first, as gdb unwinds
    if where is None:
        where = next((f for f in described if f[0] == DEMO), described[0] if described else None)
    event = {'e': 'step', 'k': kind, 't': program_ms(entered), 's': described[::-1], 'a': None, 'd': detail}
    if where is not None and (not described or where is not described[0]):
        event['at'] = where  # not the innermost frame: std's frames are above ours, or ours just returned
    emit(event)


# --- which lines: every line of code in the demo's async fn bodies and in its main ---------

traced_lines = set()
traced_functions = set()  # gdb's names: `rust_async::foo::{async_fn#0}`, `rust_async::main`
symtab = None
try:
    symtab = gdb.decode_line('"%s":1' % DEMO)[1][0].symtab
except gdb.error:
    pass
if symtab is None:
    emit({'e': 'warn', 'msg': 'gdb found no line table for the demo (compiled without -g?)'})
else:
    table = symtab.linetable()
    for line in sorted(table.source_lines()):
        for entry in table.line(line) or ():
            block = gdb.block_for_pc(entry.pc)
            while block is not None and block.function is None:
                block = block.superblock
            if block is None:
                continue
            fn = block.function
            name = fn.name
            if not (is_coroutine(name) or re.fullmatch(r'[A-Za-z0-9_]+::main', name)):
                continue
            if line == fn.line:  # the `fn …(` line itself: the prologue, not a line of the body
                continue
            traced_lines.add(line)
            traced_functions.add(name)

# --- state -------------------------------------------------------------------------------

last_line = {}  # frame key -> last line recorded in that frame
live = set()  # coroutine bodies started and not finished (Poll::Ready) yet
previous_keys = set()
last_wait = None
count = 0
MAX_STEPS = 2000


class Returned(gdb.FinishBreakpoint):
    """The poll (or call) of one of our frames returned: Poll::Pending is an await."""

    def __init__(self, frame, name, line):
        super().__init__(frame, internal=True)
        self.name, self.line = name, line
        self.coroutine = is_coroutine(frame.name() or '')
        self.silent = True

    @handler
    def stop(entered, self):
        if not on_main_thread():
            return
        value = self.return_value
        text = value.format_string() if value is not None else ''
        short = re.sub(r'^.*::(Pending|Ready)', r'Poll::\1', text)
        kind = 'await' if self.coroutine and short.startswith('Poll::Pending') else 'return'
        if kind == 'return':
            live.discard(self.name)
        frames = stack()
        where = [DEMO, self.line, None, self.name]
        step(entered, kind, frames, '%s returned %s' % (self.name, short or text), where)
        remember(frames)

    def out_of_scope(self):
        pass  # unwound by a panic


def remember(frames):
    global previous_keys
    previous_keys = {frame_key(f) for f in frames}


class Line(gdb.Breakpoint):
    def __init__(self, line):
        super().__init__('"%s":%d' % (DEMO, line), internal=True)
        self.silent = True

    @handler
    def stop(entered, self):
        if not on_main_thread():
            return
        frames = stack()
        frame = frames[0]
        sal = frame.find_sal()
        if sal.symtab is None or sal.symtab.fullname() != DEMO or sal.line not in traced_lines:
            return
        function = frame.function()
        if function is None or function.name not in traced_functions:
            return
        key = frame_key(frame)
        name = clean_name(frame)
        new = key not in previous_keys
        if not new and last_line.get(key) == sal.line:
            return
        if new:
            kind = 'resume' if name in live else 'call'
            if is_coroutine(frame.name() or ''):
                live.add(name)
            try:
                Returned(frame, name, sal.line)
            except (gdb.error, ValueError):
                pass
        else:
            kind = 'line'
            for bp in gdb.breakpoints():
                if isinstance(bp, Returned) and bp.name == name and bp.is_valid():
                    bp.line = sal.line
        last_line[key] = sal.line
        step(entered, kind, frames)
        remember(frames)


class Call(gdb.Breakpoint):
    """A std function: the thread waits (park, sleep) or the program panics."""

    def __init__(self, function, kind):
        super().__init__('*' + function, internal=True)
        self.silent = True
        self.function, self.kind = function, kind

    @handler
    def stop(entered, self):
        global last_wait
        if not on_main_thread():
            return
        frames = stack()
        callers = frames[1:]
        if not any(describe(f)[0] == DEMO for f in callers):
            return
        kind = self.kind
        if kind in ('park', 'sleep'):
            # A park with none of our coroutines on the stack is the executor waiting for a
            # waker: idle. Anything else keeps our frames waiting on the thread: block.
            running = any(is_coroutine(f.name() or '') for f in callers)
            kind = 'idle' if kind == 'park' and not running else 'block'
        keys = [frame_key(f) for f in frames]
        if kind in ('idle', 'block'):
            if last_wait == (kind, keys):
                return  # parked again at once (an old unpark token): still the same wait
        step(entered, kind, frames, self.function)
        remember(frames)
        if kind in ('idle', 'block'):
            last_wait = (kind, keys)


for line in sorted(traced_lines):
    Line(line)
for function, kind in [
    ('std::thread::functions::park', 'park'),
    ('std::thread::park', 'park'),
    ('std::thread::functions::sleep', 'sleep'),
    ('std::thread::sleep', 'sleep'),
    ('std::panicking::panic_with_hook', 'raise'),
    ('std::panicking::rust_panic_with_hook', 'raise'),
]:
    try:
        bp = Call(function, kind)
        if bp.pending or not getattr(bp, 'locations', True):  # `locations`: gdb 13+
            bp.delete()
    except (gdb.error, RuntimeError):
        pass


def exited(event):
    code = getattr(event, 'exit_code', None)
    number = gdb.convenience_variable('_exitsignal') if code is None else None
    try:
        name = signal.Signals(int(number)).name if number is not None else None
    except ValueError:
        name = 'signal %d' % int(number)
    emit({'e': 'end', 'exit': code, 'signal': name, 'started': True})


class Start(gdb.Breakpoint):
    """The program's `main`: from here on, gdb's messages go to fd 4 and the clock runs."""

    def stop(self):
        global started, main_pid
        os.dup2(4, 1)
        os.dup2(4, 2)
        main_pid = gdb.selected_inferior().pid
        emit({'e': 'hello', 'v': PROTOCOL_VERSION, 'demo': DEMO, 'backend': 'gdb', 'lines': sorted(traced_lines)})
        started = clock()
        return False


try:
    gdb.execute('set language c', to_string=True)  # `main` here is the C symbol rustc emits
    Start('*main', internal=True).silent = True
    gdb.execute('set language auto', to_string=True)
except gdb.error as error:
    emit({'e': 'warn', 'msg': 'no C main to start the clock at: %s' % error})
    raise SystemExit(1)
gdb.events.exited.connect(exited)
# The program gets the fds gdb was started with (gdb closes every other fd in the child).
os.dup2(PROGRAM_OUT, 1)
os.dup2(PROGRAM_ERR, 2)
try:
    gdb.execute('run', to_string=True)
except gdb.error as error:
    os.dup2(4, 1)
    os.dup2(4, 2)
    emit({'e': 'warn', 'msg': str(error)})
os.dup2(4, 1)
os.dup2(4, 2)
if gdb.selected_inferior().pid:
    emit({'e': 'warn', 'msg': 'the program stopped under gdb before it ended'})
events.close()
