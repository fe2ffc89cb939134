/**
 * The relay (see preload.mjs): one inspector session on the main thread, its messages
 * relayed as JSON lines over the socket pair the engine gave on fd `workerData.fd`.
 * Requests `{id, method, params}` in; answers `{id, result}` / `{id, error}` and
 * events `{method, params}` out.
 *
 * After anything this thread does, one immediate follows (`checkpointSoon`), or a message
 * from the main thread can wait here forever. Node hands each one to this thread's
 * JavaScript as a microtask (`connectToMainThread` in lib/inspector.js), from an interrupt,
 * and the interrupt may come while this thread runs JavaScript past its last microtask
 * checkpoint: the end of `processTicksAndRejections`, after its last `runMicrotasks()`,
 * typically when the main thread answers while the socket is still finishing the request.
 * The message then waits for the next checkpoint. Up to Node 24 the event loop made one
 * before it slept again; Node 26 skips it when it has no native immediate or interrupt
 * queued (`CheckImmediate`, `RunAndClearNativeImmediates`), and nothing else happens here
 * until the engine's next request, which waits for that very message: the program stays
 * paused and the run hangs until its timeout. An immediate's callback ends with a
 * checkpoint, which delivers whatever is waiting.
 */
import { Session } from 'node:inspector'
import { Socket } from 'node:net'
import { setImmediate } from 'node:timers'
import { parentPort, workerData } from 'node:worker_threads'

let checkpointScheduled = false
const checkpointDone = () => {
  checkpointScheduled = false
}
/** One immediate after whatever this thread does now (see the header). */
const checkpointSoon = () => {
  if (!checkpointScheduled) {
    checkpointScheduled = true
    setImmediate(checkpointDone)
  }
}

const session = new Session()
session.connectToMainThread()
const socket = new Socket({ fd: workerData.fd, readable: true, writable: true })
const send = (message) => {
  if (!socket.destroyed)
    socket.write(`${JSON.stringify(message)}\n`)
  checkpointSoon()
}
session.on('inspectorNotification', ({ method, params }) => send({ method, params }))

let pending = ''
socket.setEncoding('utf8').on('data', (text) => {
  checkpointSoon()
  pending += text
  let newline
  while ((newline = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, newline)
    pending = pending.slice(newline + 1)
    let request
    try {
      request = JSON.parse(line)
    }
    catch {
      continue
    }
    const { id, method, params } = request
    session.post(method, params, (error, result) => send(error ? { id, error: { message: error.message } } : { id, result }))
    // The engine is ready: let the demo start (preload.mjs waits for this).
    if (method === 'Runtime.runIfWaitingForDebugger')
      parentPort.postMessage('go')
  }
})
// The engine went away: let go of the program, which then runs (or exits) on its own.
socket.on('close', () => session.disconnect())
socket.on('error', () => {})
