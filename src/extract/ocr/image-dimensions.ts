/** Width and height of an image in pixels, as its header declares them. */
export interface ImageDimensions {
  width: number;
  height: number;
}

const u16be = (b: Uint8Array, i: number): number => (b[i]! << 8) | b[i + 1]!;
const u16le = (b: Uint8Array, i: number): number => b[i]! | (b[i + 1]! << 8);
const u24le = (b: Uint8Array, i: number): number => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16);
const u32be = (b: Uint8Array, i: number): number =>
  ((b[i]! << 24) >>> 0) + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!;
const u32le = (b: Uint8Array, i: number): number =>
  b[i]! + (b[i + 1]! << 8) + (b[i + 2]! << 16) + ((b[i + 3]! << 24) >>> 0);

function png(b: Uint8Array): ImageDimensions | null {
  // The IHDR chunk comes first: length, "IHDR", width, height (big-endian).
  return b.length >= 24 ? { width: u32be(b, 16), height: u32be(b, 20) } : null;
}

function gif(b: Uint8Array): ImageDimensions | null {
  // The logical screen: the first frame is at most that.
  return b.length >= 10 ? { width: u16le(b, 6), height: u16le(b, 8) } : null;
}

function jpeg(b: Uint8Array): ImageDimensions | null {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++;
      continue;
    }
    // SOF0..SOF15 without DHT (c4), JPG (c8) and DAC (cc): precision, height, width.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { width: u16be(b, i + 7), height: u16be(b, i + 5) };
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      i += 2;
      continue;
    }
    i += 2 + u16be(b, i + 2);
  }
  return null;
}

function webp(b: Uint8Array): ImageDimensions | null {
  if (b.length < 30) return null;
  const chunk = String.fromCharCode(b[12]!, b[13]!, b[14]!, b[15]!);
  if (chunk === 'VP8X') return { width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 };
  if (chunk === 'VP8L') {
    const bits = u32le(b, 21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8 ') return { width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  return null;
}

function tiff(b: Uint8Array): ImageDimensions | null {
  if (b.length < 8) return null;
  const le = b[0] === 0x49;
  const u16 = le ? u16le : u16be;
  const u32 = le ? u32le : u32be;
  const ifd = u32(b, 4);
  if (ifd + 2 > b.length) return null;
  const count = u16(b, ifd);
  let width = 0;
  let height = 0;
  for (let n = 0; n < count && ifd + 2 + n * 12 + 12 <= b.length; n++) {
    const entry = ifd + 2 + n * 12;
    const tag = u16(b, entry);
    const value = u16(b, entry + 2) === 3 ? u16(b, entry + 8) : u32(b, entry + 8);
    if (tag === 256) width = value;
    if (tag === 257) height = value;
  }
  return width > 0 && height > 0 ? { width, height } : null;
}

const READERS: Record<string, (body: Uint8Array) => ImageDimensions | null> = {
  'image/png': png,
  'image/gif': gif,
  'image/jpeg': jpeg,
  'image/webp': webp,
  'image/tiff': tiff,
};

/**
 * The size an image declares in its header (the first frame's screen for GIF, the first page for
 * TIFF), read without decoding it, so a 30,000 × 30,000 image is refused before anything
 * allocates its pixels. Null when the header is cut or malformed.
 */
export function imageDimensions(mimeType: string, body: Uint8Array): ImageDimensions | null {
  const read = READERS[mimeType];
  const dimensions = read ? read(body) : null;
  return dimensions && dimensions.width > 0 && dimensions.height > 0 ? dimensions : null;
}
