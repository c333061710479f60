import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';

/**
 * Which API is inside an isolate right now, kept where a process abort cannot erase it: a small
 * file per worker, written with positional writes on a descriptor kept open. A single huge
 * allocation in a guest aborts the whole process (V8's fatal OOM, which isolated-vm cannot catch) and takes every
 * in-memory trace with it; the page cache keeps what was written, so the supervisor reads the
 * file after the worker died and knows whom to quarantine (src/cli/supervisor.ts).
 *
 * Layout: a header, one culprit slot, then one slot per live isolate. A slot holds its tag (the
 * API and its middleware fingerprint, written once when the isolate is created) and a state
 * byte: at most one 1-byte pwrite before an entry and one after it (at the end of the event-loop
 * turn, so back-to-back calls on a busy API write nothing).
 * Several isolates run at once (async calls on isolated-vm's thread pool), so "the last one
 * entered" would be a guess; every busy slot is visible, and the catastrophic-error handler,
 * which isolated-vm runs for the isolate that failed, names it exactly in the culprit slot.
 */

const MAGIC = 'isogate entry record 1\n';
const HEADER = 64;
const CULPRIT = 1024;
const SLOT = 256;
const FIRST_SLOT = HEADER + CULPRIT;

/** What is running: a phase byte in the slot's first position. */
export type EntryPhase = 'start' | 'call';
const STATE = { idle: 0x2e /* . */, start: 0x53 /* S */, call: 0x43 /* C */, culprit: 0x21 /* ! */ } as const;

/** Who a slot belongs to. `api` or, for ids too long for a slot, `api_sha256`. */
export interface EntryTag {
  api?: string;
  api_sha256?: string;
  /** Fingerprint of the middleware the isolate runs (fingerprint.ts). */
  code: string;
}

export interface RecordedEntry extends EntryTag {
  phase: EntryPhase;
  /** The catastrophic-error message, for the culprit. */
  message?: string;
}

export interface EntryRecordContents {
  /** Named by isolated-vm's catastrophic-error handler just before the abort. */
  culprit?: RecordedEntry;
  /** Isolates that were busy when the process died. */
  busy: RecordedEntry[];
}

/** The tag of `apiId` running `code`; long ids are hashed so that every tag fits its slot. */
export function entryTag(apiId: string, code: string): EntryTag {
  const tag: EntryTag = { api: apiId, code };
  if (Buffer.byteLength(JSON.stringify(tag)) < SLOT - 2) return tag;
  return { api_sha256: createHash('sha256').update(apiId).digest('hex'), code };
}

/** Does `tag` (or a recorded entry) name `apiId`? */
export function tagNames(tag: EntryTag, apiId: string): boolean {
  if (tag.api !== undefined) return tag.api === apiId;
  return tag.api_sha256 === createHash('sha256').update(apiId).digest('hex');
}

/** One isolate's place in the record. */
export interface RecordSlot {
  /** About to run guest code (the isolate's bring-up or a call). */
  enter(phase: EntryPhase): void;
  /** Guest code returned. */
  leave(): void;
  /** `start()` begins a guest call: recorded as entered until its promise settles. */
  around<T>(start: () => Promise<T>): Promise<T>;
  /** This isolate is taking the process down: name it. Synchronous. */
  culprit(message: string): void;
  /** The isolate is gone: the slot can be reused. */
  free(): void;
}

const NO_SLOT: RecordSlot = { enter() {}, leave() {}, around: (start) => start(), culprit() {}, free() {} };
const BYTE = { idle: Buffer.from([STATE.idle]), start: Buffer.from([STATE.start]), call: Buffer.from([STATE.call]) };

class EntryRecord {
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;

  constructor(readonly fd: number) {
    const header = Buffer.alloc(HEADER, ' ');
    header.write(MAGIC);
    writeSync(fd, header, 0, HEADER, 0);
  }

  slot(tag: EntryTag): RecordSlot {
    const index = this.freeSlots.pop() ?? this.nextSlot++;
    const at = FIRST_SLOT + index * SLOT;
    const body = Buffer.alloc(SLOT, ' ');
    body[0] = STATE.idle;
    body.write(`${JSON.stringify(tag)}\n`, 1);
    writeSync(this.fd, body, 0, SLOT, at);
    const fd = this.fd;
    let depth = 0;
    let phase: EntryPhase = 'call';
    let freed = false;
    /** The state byte on disk. */
    let onDisk: number = STATE.idle;
    /** Best effort: a failed write (closed record, full disk) must not fail the guest call. */
    const put = (byte: Buffer, state: number): void => {
      try {
        writeSync(fd, byte, 0, 1, at);
        onDisk = state;
      } catch {
        // the record is a diagnosis aid; serving goes on without it
      }
    };
    const flushIdle = (): void => {
      if (depth === 0 && onDisk !== STATE.idle && !freed) put(BYTE.idle, STATE.idle);
    };
    const enter = (next: EntryPhase): void => {
      if (depth++ > 0) return;
      phase = next;
      // Must be on disk before the guest runs. A call that follows another on the same isolate
      // before the idle byte was flushed finds it still busy and writes nothing.
      if (onDisk !== STATE[next]) put(BYTE[next], STATE[next]);
    };
    const leave = (): void => {
      // Marked idle at the end of this turn of the event loop, not at once: a saturated API
      // (its queue starts the next call as this one settles) then costs no write per call.
      if (--depth === 0) deferIdle(flushIdle);
    };
    return {
      enter,
      leave,
      around: <T>(start: () => Promise<T>): Promise<T> => {
        enter('call');
        let call: Promise<T>;
        try {
          call = start();
        } catch (err) {
          leave();
          throw err;
        }
        call.then(leave, leave);
        return call;
      },
      culprit: (message) => {
        const culprit = Buffer.alloc(CULPRIT, ' ');
        culprit[0] = STATE.culprit;
        culprit[1] = STATE[phase];
        culprit.write(`${JSON.stringify({ ...tag, message: message.slice(0, 200) })}\n`, 2);
        writeSync(fd, culprit, 0, CULPRIT, HEADER);
      },
      free: () => {
        if (freed) return;
        freed = true;
        const blank = Buffer.alloc(SLOT, ' ');
        blank[0] = STATE.idle;
        writeSync(fd, blank, 0, SLOT, at);
        this.freeSlots.push(index);
      },
    };
  }
}

let record: EntryRecord | undefined;

/** Idle bytes to write once the current turn of the event loop is over (one setImmediate for all). */
const idleFlushes = new Set<() => void>();
function deferIdle(flush: () => void): void {
  if (idleFlushes.size === 0) {
    setImmediate(() => {
      for (const f of idleFlushes) f();
      idleFlushes.clear();
    });
  }
  idleFlushes.add(flush);
}

/** Start recording into `file` (truncated). The worker calls this once, before any isolate exists. */
export function openEntryRecord(file: string): void {
  record = new EntryRecord(openSync(file, 'w+'));
}

/** A slot for one isolate; a no-op when this process keeps no record (tests, `--no-supervisor`). */
export function recordSlot(tag: EntryTag): RecordSlot {
  return record ? record.slot(tag) : NO_SLOT;
}

function phaseOf(state: number): EntryPhase | undefined {
  if (state === STATE.start) return 'start';
  if (state === STATE.call) return 'call';
  return undefined;
}

function parseTag(text: string): EntryTag | undefined {
  try {
    const value = JSON.parse(text) as EntryTag;
    if (typeof value.code !== 'string' || (typeof value.api !== 'string' && typeof value.api_sha256 !== 'string')) return undefined;
    return value;
  } catch {
    return undefined;
  }
}

/** Read a dead worker's record. A missing or foreign file reads as empty. */
export function readEntryRecord(file: string): EntryRecordContents {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    return { busy: [] };
  }
  if (data.subarray(0, MAGIC.length).toString() !== MAGIC) return { busy: [] };
  const contents: EntryRecordContents = { busy: [] };
  if (data[HEADER] === STATE.culprit) {
    const phase = phaseOf(data[HEADER + 1]!) ?? 'call';
    const line = data.subarray(HEADER + 2, HEADER + CULPRIT).toString();
    const parsed = parseTag(line.slice(0, line.indexOf('\n')));
    if (parsed) contents.culprit = { ...(parsed as RecordedEntry), phase };
  }
  for (let at = FIRST_SLOT; at + SLOT <= data.length; at += SLOT) {
    const phase = phaseOf(data[at]!);
    if (!phase) continue;
    const line = data.subarray(at + 1, at + SLOT).toString();
    const tag = parseTag(line.slice(0, line.indexOf('\n')));
    if (tag) contents.busy.push({ ...tag, phase });
  }
  return contents;
}

/** Stop recording (tests). Slots handed out before must have been freed: their writes would fail. */
export function closeEntryRecord(): void {
  if (!record) return;
  try {
    closeSync(record.fd);
  } catch {
    // already closed
  }
  record = undefined;
}
