// A client on another machine of the conference network, run inside the test's own network
// namespace (tests/e2e/remote.spec.ts). Reads a JSON list of requests from the file named by
// argv[2], sends each exactly as given (any Host, any header), prints a JSON list of answers.
import { request } from 'node:http'
import { readFileSync } from 'node:fs'
import WebSocket from 'ws'

function send({ host, port, method = 'GET', path = '/', headers = {}, body, localAddress }) {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : Buffer.from(body)
    const req = request({ host, port, method, path, localAddress, headers: { ...headers, ...(payload ? { 'Content-Length': payload.length } : {}) }, setHost: !('Host' in headers) }, (res) => {
      const chunks = []
      res.on('data', chunk => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode, setCookie: res.headers['set-cookie'] ?? [], body: Buffer.concat(chunks).toString('utf8').slice(0, 2000) }))
    })
    req.on('error', error => resolve({ status: 0, setCookie: [], body: String(error) }))
    req.setTimeout(15000, () => req.destroy(new Error('timed out')))
    req.end(payload)
  })
}

function socket({ host, port, path = '/', headers = {}, messages = [], localAddress }) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://${host}:${port}${path}`, 'vite-hmr', { headers, localAddress })
    const done = outcome => resolve({ status: outcome === 'opened' ? 101 : 0, setCookie: [], body: outcome })
    ws.on('open', () => {
      for (const message of messages)
        ws.send(JSON.stringify(message))
      setTimeout(() => { ws.close(); done('opened') }, 300)
    })
    ws.on('unexpected-response', (_, res) => done(`refused ${res.statusCode}`))
    ws.on('error', error => done(`error ${error.message}`))
  })
}

const requests = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const answers = []
for (const r of requests)
  answers.push({ name: r.name, ...(r.websocket ? await socket(r) : await send(r)) })
console.log(JSON.stringify(answers))
