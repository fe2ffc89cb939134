/** The parts of the V8 inspector protocol the Node adapter reads. */

export interface V8Location {
  scriptId: string
  lineNumber: number
  columnNumber?: number
}

export interface V8BreakLocation extends V8Location {
  type?: 'debuggerStatement' | 'call' | 'return'
}

export interface V8CallFrame {
  callFrameId: string
  functionName: string
  functionLocation?: V8Location
  location: V8Location
  url?: string
}

export interface V8RuntimeCallFrame {
  functionName: string
  scriptId: string
  url: string
  lineNumber: number
  columnNumber: number
}

export interface V8StackTrace {
  description?: string
  callFrames: V8RuntimeCallFrame[]
  parent?: V8StackTrace
}

export interface V8PausedEvent {
  callFrames: V8CallFrame[]
  reason: string
  data?: unknown
  hitBreakpoints?: string[]
  asyncStackTrace?: V8StackTrace
}

export interface V8ScriptParsed {
  scriptId: string
  url: string
  startLine?: number
  endLine?: number
}
