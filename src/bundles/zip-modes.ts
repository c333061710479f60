import { BundleError } from './errors';

// fflate (which does all the unzipping) does not report an entry's file type. A symlink, FIFO or
// device entry is marked only in the central directory's "external attributes" (Unix mode in the
// high 16 bits when "version made by" says Unix, APPNOTE.txt 4.4.2 and 4.4.15). This reads just
// those two fields, walking the same central directory, in the same order, that fflate's
// unzipSync walks, so entry i here is the i-th entry fflate's filter sees. Nothing else of the
// format is interpreted here.

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const UNIX = 3;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

function reader(zip: Uint8Array) {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const check = (at: number, size: number) => {
    if (at < 0 || at + size > zip.length) throw new BundleError('not a zip file (its central directory is cut short or points outside the file)');
  };
  return {
    u16: (at: number) => (check(at, 2), view.getUint16(at, true)),
    u32: (at: number) => (check(at, 4), view.getUint32(at, true)),
    u64: (at: number) => (check(at, 8), Number(view.getBigUint64(at, true))),
  };
}

/** Per entry, in central-directory order: its Unix file type bits, or 0 when the archive gives none. */
export function zipEntryTypes(zip: Uint8Array, maxEntries: number): number[] {
  const r = reader(zip);
  let e = zip.length - 22;
  const stop = Math.max(0, zip.length - 22 - 0xffff);
  while (e >= stop && r.u32(e) !== EOCD) e--;
  if (e < stop) throw new BundleError('not a zip file (no end of central directory record)');
  let count = r.u16(e + 10);
  let offset = r.u32(e + 16);
  if (e >= 20 && r.u32(e - 20) === ZIP64_LOCATOR) {
    const z = r.u64(e - 12);
    if (r.u32(z) === ZIP64_EOCD) {
      count = r.u64(z + 32);
      offset = r.u64(z + 48);
    }
  }
  if (count > maxEntries) throw new BundleError(`has ${count} entries, more than bundle_options.max_entries (${maxEntries})`);
  const types: number[] = [];
  for (let i = 0; i < count; i++) {
    if (r.u32(offset) !== CENTRAL) throw new BundleError(`not a zip file (central directory entry ${i} is damaged)`);
    const host = r.u16(offset + 4) >> 8;
    const attrs = r.u32(offset + 38);
    types.push(host === UNIX ? (attrs >>> 16) & S_IFMT : 0);
    offset += 46 + r.u16(offset + 28) + r.u16(offset + 30) + r.u16(offset + 32);
  }
  return types;
}

/** Why an entry of this type cannot be extracted, or undefined for a plain file or folder. */
export function entryTypeProblem(type: number): string | undefined {
  if (type === 0 || type === S_IFREG || type === S_IFDIR) return undefined;
  if (type === 0o120000) return 'is a symbolic link';
  return 'is not a regular file (device, FIFO or socket)';
}
