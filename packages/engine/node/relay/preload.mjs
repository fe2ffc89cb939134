/**
 * Loaded with `node --import <this file> demo.mjs` by the trace engine (engine/node/inspector.ts).
 *
 * Starts the relay worker (worker.mjs), which drives this process's own inspector from a
 * worker thread (`inspector.Session#connectToMainThread`) and speaks the DevTools protocol
 * with the engine over the socket pair on fd TRACE_RELAY_FD: no TCP, so none of the
 * inspector's Nagle / delayed-ACK stalls of the WebSocket transport. The demo starts once
 * the engine has set its breakpoints and sent `Runtime.runIfWaitingForDebugger`: the
 * module's top-level await holds the demo until then, while this thread's event loop
 * keeps serving the worker's requests.
 */
import { isMainThread, Worker } from 'node:worker_threads'

const fd = Number(process.env.TRACE_RELAY_FD)
if (isMainThread && Number.isInteger(fd) && fd > 2) {
  // The demo must not see the engine's variable.
  delete process.env.TRACE_RELAY_FD
  const worker = new Worker(new URL('./worker.mjs', import.meta.url), { workerData: { fd }, execArgv: [], stdout: false, stderr: false })
  await new Promise((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })
  // From here on the worker must never keep the program alive, nor outlive it.
  worker.unref()
}
