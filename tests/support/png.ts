/**
 * Just enough PNG to judge a rendered page: 8-bit greyscale or RGB(A), not interlaced
 * (what `pdftoppm -png` writes). Returns one grey value per pixel.
 */
import { inflateSync } from 'node:zlib'

export interface GreyImage {
  width: number
  height: number
  grey: Uint8Array
}

export function decodePng(data: Buffer): GreyImage {
  if (data.readUInt32BE(0) !== 0x89504E47)
    throw new Error('not a PNG')
  let offset = 8
  let width = 0
  let height = 0
  let channels = 0
  const idat: Buffer[] = []
  while (offset < data.length) {
    const length = data.readUInt32BE(offset)
    const type = data.toString('latin1', offset + 4, offset + 8)
    const body = data.subarray(offset + 8, offset + 8 + length)
    if (type === 'IHDR') {
      width = body.readUInt32BE(0)
      height = body.readUInt32BE(4)
      const [depth, colorType, , , interlace] = [body[8], body[9], body[10], body[11], body[12]]
      channels = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[colorType!] ?? 0
      if (depth !== 8 || !channels || interlace)
        throw new Error(`unsupported PNG: depth ${depth}, colour type ${colorType}, interlace ${interlace}`)
    }
    else if (type === 'IDAT') {
      idat.push(body)
    }
    offset += 12 + length
  }
  const raw = inflateSync(Buffer.concat(idat))
  const stride = width * channels
  const pixels = new Uint8Array(stride * height)
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1))
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[y * stride + x - channels]! : 0
      const b = y > 0 ? pixels[(y - 1) * stride + x]! : 0
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels]! : 0
      let predictor = 0
      if (filter === 1)
        predictor = a
      else if (filter === 2)
        predictor = b
      else if (filter === 3)
        predictor = (a + b) >> 1
      else if (filter === 4) {
        const p = a + b - c
        const pa = Math.abs(p - a)
        const pb = Math.abs(p - b)
        const pc = Math.abs(p - c)
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c
      }
      pixels[y * stride + x] = (line[x]! + predictor) & 0xFF
    }
  }
  const grey = new Uint8Array(width * height)
  for (let i = 0; i < width * height; i++) {
    const p = i * channels
    grey[i] = channels >= 3 ? Math.round(0.299 * pixels[p]! + 0.587 * pixels[p + 1]! + 0.114 * pixels[p + 2]!) : pixels[p]!
  }
  return { width, height, grey }
}

/** Share of pixels that are not (near) white, and the standard deviation of grey values. */
export function inkStats({ grey }: GreyImage): { ink: number, stddev: number } {
  let sum = 0
  let ink = 0
  for (const value of grey) {
    sum += value
    if (value < 235)
      ink++
  }
  const mean = sum / grey.length
  let variance = 0
  for (const value of grey)
    variance += (value - mean) ** 2
  return { ink: ink / grey.length, stddev: Math.sqrt(variance / grey.length) }
}
