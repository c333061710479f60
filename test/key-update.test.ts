// One set of Tyk key-write rules (src/auth/key-update.ts) for /tyk/keys and TykSetKeyData: the
// JSVM path used to lack the creation-date, expiry and basic-auth rules.
import { expect } from 'chai';
import { applyKeyWrite } from '../src/auth/key-update';
import { setKeyData, getKeyData } from '../src/coprocess/drivers/jsvm/key-data';
import type { SessionState } from '../src/pipeline/session';
import { MemorySessionStore } from '../src/storage/memory-store';

const NOW = Date.UTC(2030, 0, 2, 3, 4, 5);
const NOW_SEC = Math.floor(NOW / 1000);

describe('applyKeyWrite (Tyk key-write rules)', () => {
  it('a new key gets its creation date, last_updated and a full quota unless the body says what is left', () => {
    const fresh = { quota_max: 10, quota_renewal_rate: 60 };
    applyKeyWrite(fresh, undefined, { suppressReset: false, nowMs: NOW });
    expect(fresh).to.deep.include({ date_created: new Date(NOW).toISOString(), last_updated: String(NOW_SEC), quota_remaining: 10, quota_renews: NOW_SEC + 60 });
    const partial = { quota_max: 10, quota_remaining: 3 };
    applyKeyWrite(partial, undefined, { suppressReset: false, nowMs: NOW });
    expect(partial.quota_remaining).to.equal(3);
  });

  it('an update keeps the creation date and resets the quota, or keeps the counters with suppressReset', () => {
    const prev = { date_created: '2001-01-01T00:00:00.000Z', last_updated: '5', quota_remaining: 2, quota_renews: 99 };
    const reset = { quota_max: 10 };
    applyKeyWrite(reset, prev, { suppressReset: false, nowMs: NOW });
    expect(reset).to.deep.include({ date_created: prev.date_created, last_updated: String(NOW_SEC), quota_remaining: 10, quota_renews: NOW_SEC });
    const kept = { quota_max: 10, quota_remaining: 10 };
    applyKeyWrite(kept, prev, { suppressReset: true, nowMs: NOW });
    expect(kept).to.deep.include({ date_created: prev.date_created, last_updated: '5', quota_remaining: 2, quota_renews: 99 });
    const noCounters = { quota_max: 10, quota_remaining: 7 };
    applyKeyWrite(noCounters, {}, { suppressReset: true, nowMs: NOW });
    expect(noCounters).to.not.have.property('quota_remaining');
  });

  it('an expiry already past keeps the previous one; a future one or 0 is taken', () => {
    for (const [expires, expected] of [[NOW_SEC - 10, 1234], [NOW_SEC + 10, NOW_SEC + 10], [0, 0], [1, 1]]) {
      const next = { expires };
      applyKeyWrite(next, { expires: 1234 }, { suppressReset: false, nowMs: NOW });
      expect(next.expires, String(expires)).to.equal(expected);
    }
  });

  it('a body without basic-auth credentials keeps the previous ones; new ones replace them', () => {
    const prev = { basic_auth_data: { password: 'hashed', hash_type: 'bcrypt' } };
    const without: SessionState = { rate: 1 };
    applyKeyWrite(without, prev, { suppressReset: false, nowMs: NOW });
    expect(without.basic_auth_data).to.deep.equal(prev.basic_auth_data);
    const withNew = { basic_auth_data: { password: 'new' } };
    applyKeyWrite(withNew, prev, { suppressReset: false, nowMs: NOW });
    expect(withNew.basic_auth_data).to.deep.equal({ password: 'new' });
  });
});

describe('TykSetKeyData follows the same rules', () => {
  for (const access of ['org', 'global'] as const) {
    it(`jsvm_key_access "${access}": creation date, basic auth and a past expiry survive an update`, async () => {
      const store = new MemorySessionStore({ sweepIntervalMs: 0 });
      const services = { store, orgForApi: () => 'org1' };
      const config = { hash_keys: false, jsvm_key_access: access };
      const caller = { apiId: 'api1', orgId: 'org1' };
      const future = Math.floor(Date.now() / 1000) + 3600;
      await setKeyData('k1', JSON.stringify({ quota_max: 5, expires: future, basic_auth_data: { password: 'secret-hash' } }), '0', caller, config, services);
      const created = JSON.parse(await getKeyData('k1', 'api1', caller, config, services));
      expect(created.date_created).to.be.a('string');
      await setKeyData('k1', JSON.stringify({ quota_max: 5, expires: 1000, meta_data: { v: 2 } }), '0', caller, config, services);
      const updated = JSON.parse(await getKeyData('k1', 'api1', caller, config, services));
      expect(updated).to.deep.include({ date_created: created.date_created, expires: future, basic_auth_data: { password: 'secret-hash' }, meta_data: { v: 2 } });
      await store.close();
    });
  }
});
