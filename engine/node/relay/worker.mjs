/**
 * The relay (see preload.mjs): one inspector session on the main thread, its messages
 * relayed as JSON lines over the socket pair the engine gave on fd `workerData.fd`.
 * Requests `{id, method, params}` in; answers `{id, result}` / `{id, error}` and
 * events `{method, params}` out.
 */
import { Session } from 'node:inspector'
import { Socket } from 'node:net'
import { parentPort, workerData } from 'node:worker_threads'

const session = new Session()
session.connectToMainThread()
const socket = new Socket({ fd: workerData.fd, readable: true, writable: true })
const send = (message) => {
  if (!socket.destroyed)
    socket.write(`${JSON.stringify(message)}\n`)
}
session.on('inspectorNotification', ({ method, params }) => send({ method, params }))

let pending = ''
socket.setEncoding('utf8').on('data', (text) => {
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
