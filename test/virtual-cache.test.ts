// The virtual endpoint answer cache's bounds (src/gateway/virtual/cache.ts): a flood of distinct
// requests never grows it past its entry and byte limits, and expired answers are not served.
import { expect } from 'chai';
import { VirtualCache } from '../src/gateway/virtual/cache';

const answer = (bytes: number) => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: Buffer.alloc(bytes, 'x') });

describe('virtual endpoint answer cache', () => {
  it('a flood of distinct keys keeps at most maxEntries, least recently used out first', () => {
    const cache = new VirtualCache({ maxEntries: 100, maxBytes: 1 << 30, maxEntryBytes: 1 << 20 });
    for (let i = 0; i < 10_000; i++) cache.set(`k${i}`, answer(10), Date.now() + 60_000);
    expect(cache.size).to.equal(100);
    expect(cache.get('k0', Date.now())).to.equal(undefined);
    expect(cache.get('k9999', Date.now())?.body.length).to.equal(10);
  });

  it('keeps the total under maxBytes and refuses an answer over maxEntryBytes', () => {
    const cache = new VirtualCache({ maxEntries: 1000, maxBytes: 10_000, maxEntryBytes: 5_000 });
    for (let i = 0; i < 100; i++) cache.set(`k${i}`, answer(1000), Date.now() + 60_000);
    expect(cache.size).to.be.at.most(10);
    cache.set('big', answer(6000), Date.now() + 60_000);
    expect(cache.get('big', Date.now())).to.equal(undefined);
  });

  it('an expired answer is dropped, not served', () => {
    const cache = new VirtualCache();
    cache.set('k', answer(1), 1000);
    expect(cache.get('k', 999)).to.not.equal(undefined);
    expect(cache.get('k', 1000)).to.equal(undefined);
    expect(cache.size).to.equal(0);
  });
});
