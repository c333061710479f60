// The entry record and the supervisor's attribution (src/containment): real files, no mocks.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { closeEntryRecord, entryTag, openEntryRecord, readEntryRecord, type RecordedEntry, recordSlot, tagNames } from '../src/containment/entry-record';
import { abortedExit, attribute, quarantineEntryFor } from '../src/containment/attribution';

/** Idle bytes are written at the end of the event-loop turn. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('containment: entry record', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isogate-record-'));
  });
  afterEach(() => {
    closeEntryRecord();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows every busy isolate with its phase, forgets idle and freed ones, and names the culprit', async () => {
    const file = path.join(dir, 'w.record');
    openEntryRecord(file);
    const a = recordSlot(entryTag('api-a', 'aaaa'));
    const b = recordSlot(entryTag('api-b', 'bbbb'));
    const c = recordSlot(entryTag('api-c', 'cccc'));
    a.enter('start');
    b.enter('call');
    c.enter('call');
    c.leave();
    await turn();
    expect(readEntryRecord(file)).to.deep.equal({
      busy: [{ api: 'api-a', code: 'aaaa', phase: 'start' }, { api: 'api-b', code: 'bbbb', phase: 'call' }],
    });
    b.culprit('Catastrophic out-of-memory error');
    const read = readEntryRecord(file);
    expect(read.culprit).to.deep.equal({ api: 'api-b', code: 'bbbb', phase: 'call', message: 'Catastrophic out-of-memory error' });
    a.leave();
    a.free();
    b.leave();
    await turn();
    // A freed slot is reused by the next isolate, and the record stays small.
    const d = recordSlot(entryTag('api-d', 'dddd'));
    d.enter('call');
    expect(readEntryRecord(file).busy).to.deep.equal([{ api: 'api-d', code: 'dddd', phase: 'call' }]);
    expect(fs.statSync(file).size).to.be.at.most(64 + 1024 + 3 * 256);
    d.leave();
    for (const s of [b, c, d]) s.free();
  });

  it('nested entries count once; around() leaves when the call settles, either way', async () => {
    const file = path.join(dir, 'w.record');
    openEntryRecord(file);
    const slot = recordSlot(entryTag('api', 'code'));
    slot.enter('call');
    slot.enter('call');
    slot.leave();
    await turn();
    expect(readEntryRecord(file).busy).to.have.length(1);
    slot.leave();
    await turn();
    expect(readEntryRecord(file).busy).to.have.length(0);
    let finish: () => void = () => undefined;
    const call = slot.around(() => new Promise<void>((resolve) => (finish = resolve)));
    expect(readEntryRecord(file).busy).to.have.length(1);
    finish();
    await call;
    await turn();
    expect(readEntryRecord(file).busy).to.have.length(0);
    await slot.around(() => Promise.reject(new Error('x'))).catch(() => undefined);
    await turn();
    expect(readEntryRecord(file).busy).to.have.length(0);
    expect(() => slot.around(() => { throw new Error('sync'); })).to.throw('sync');
    await turn();
    expect(readEntryRecord(file).busy).to.have.length(0);
    slot.free();
  });

  it('back-to-back calls within one turn keep the slot busy on disk without writing each time', async () => {
    const file = path.join(dir, 'w.record');
    openEntryRecord(file);
    const slot = recordSlot(entryTag('api', 'code'));
    for (let i = 0; i < 3; i++) {
      slot.enter('call');
      slot.leave();
      expect(readEntryRecord(file).busy, 'busy until the turn ends').to.have.length(1);
    }
    await turn();
    expect(readEntryRecord(file).busy).to.have.length(0);
    slot.enter('start');
    expect(readEntryRecord(file).busy).to.deep.equal([{ api: 'api', code: 'code', phase: 'start' }]);
    slot.leave();
    slot.free();
    await turn();
    expect(readEntryRecord(file).busy).to.have.length(0);
  });

  it('ids too long for a slot are kept as a hash that still names the API; odd characters survive', () => {
    const file = path.join(dir, 'w.record');
    openEntryRecord(file);
    const long = 'x'.repeat(1000);
    const odd = 'a\r\nb\u0000"c\\';
    const s1 = recordSlot(entryTag(long, 'c1'));
    const s2 = recordSlot(entryTag(odd, 'c2'));
    s1.enter('call');
    s2.enter('start');
    const { busy } = readEntryRecord(file);
    expect(busy[0]!.api).to.equal(undefined);
    expect(tagNames(busy[0]!, long)).to.equal(true);
    expect(tagNames(busy[0]!, 'x')).to.equal(false);
    expect(busy[1]).to.deep.equal({ api: odd, code: 'c2', phase: 'start' });
    s1.leave();
    s2.leave();
    s1.free();
    s2.free();
  });

  it('a missing, foreign, truncated or garbage file reads as empty', () => {
    expect(readEntryRecord(path.join(dir, 'missing'))).to.deep.equal({ busy: [] });
    fs.writeFileSync(path.join(dir, 'foreign'), 'hello');
    expect(readEntryRecord(path.join(dir, 'foreign'))).to.deep.equal({ busy: [] });
    const file = path.join(dir, 'w.record');
    openEntryRecord(file);
    const slot = recordSlot(entryTag('api', 'code'));
    slot.enter('call');
    closeEntryRecord();
    const data = fs.readFileSync(file);
    fs.writeFileSync(path.join(dir, 'truncated'), data.subarray(0, data.length - 100));
    expect(readEntryRecord(path.join(dir, 'truncated'))).to.deep.equal({ busy: [] });
    const garbage = Buffer.from(data);
    garbage.fill(0x43, 64 + 1024, 64 + 1024 + 256); // a busy slot of nonsense
    fs.writeFileSync(path.join(dir, 'garbage'), garbage);
    expect(readEntryRecord(path.join(dir, 'garbage'))).to.deep.equal({ busy: [] });
  });
});

describe('containment: attribution', () => {
  const a: RecordedEntry = { api: 'a', code: '1', phase: 'call' };
  const b: RecordedEntry = { api: 'b', code: '2', phase: 'call' };
  const c: RecordedEntry = { api: 'c', code: '3', phase: 'start' };

  it('blames the culprit first, else the only busy API, else the one busy at the previous abort too', () => {
    expect(attribute({ culprit: { ...c, message: 'm' }, busy: [a, b] }, [])).to.deep.include({ how: 'culprit' });
    expect(attribute({ busy: [a] }, [])).to.deep.equal({ entry: a, how: 'only-busy' });
    expect(attribute({ busy: [a, { ...a }] }, [])).to.deep.equal({ entry: a, how: 'only-busy' });
    expect(attribute({ busy: [a, b] }, [b, c])).to.deep.equal({ entry: b, how: 'repeat' });
  });

  it('blames nobody when unsure: nothing busy, several busy for the first time, or several again', () => {
    expect(attribute({ busy: [] }, [a])).to.equal(undefined);
    expect(attribute({ busy: [a, b] }, [])).to.equal(undefined);
    expect(attribute({ busy: [a, b] }, [a, b])).to.equal(undefined);
    expect(attribute({ busy: [a, b] }, [{ ...a, code: 'other' }])).to.equal(undefined);
  });

  it('only aborts count: SIGABRT/SIGSEGV or their exit codes, not SIGKILL, SIGTERM or exit 1', () => {
    expect(abortedExit(null, 'SIGABRT')).to.equal(true);
    expect(abortedExit(null, 'SIGSEGV')).to.equal(true);
    expect(abortedExit(134, null)).to.equal(true);
    expect(abortedExit(null, 'SIGKILL')).to.equal(false);
    expect(abortedExit(null, 'SIGTERM')).to.equal(false);
    expect(abortedExit(1, null)).to.equal(false);
    expect(abortedExit(0, null)).to.equal(false);
  });

  it('the quarantine entry says what happened', () => {
    const entry = quarantineEntryFor({ entry: { ...c, message: 'Catastrophic out-of-memory error' }, how: 'culprit' }, null, 'SIGABRT');
    expect(entry).to.include({ api: 'c', code: '3', phase: 'start', attribution: 'culprit' });
    expect(entry.reason).to.equal('the gateway worker aborted (signal SIGABRT) while this API was starting its isolate (top-level middleware code): Catastrophic out-of-memory error');
    expect(Math.abs(Date.parse(entry.since) - Date.now())).to.be.below(5000);
  });
});
