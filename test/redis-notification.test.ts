import crypto from 'node:crypto';
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { quietLogs } from './helpers/log';
import { startRedis, requireRedisServer, type RunningRedis } from './helpers/redis';
import { ClusterBus, NOTIFICATION_CHANNEL, decodeNotification, encodeNotification, keysOfPayload, signature, } from '../src/cluster/index';
import { createRedisClient } from '../src/storage/redis-connection';
import { sleep, until } from './helpers/poll';

describe('cluster notification format (Tyk)', () => {
  quietLogs();
  it('signs as hex(sha256(command + payload + node_secret)) with algorithm 5', () => {
    const text = encodeNotification('KeySpaceUpdateNotification', 'k1,k2', 'sec');
    const expected = crypto.createHash('sha256').update('KeySpaceUpdateNotificationk1,k2sec').digest('hex');
    expect(JSON.parse(text)).to.deep.equal({ command: 'KeySpaceUpdateNotification', payload: 'k1,k2', signature: expected, algorithm: 5 });
    expect(text.startsWith('{"command":')).to.equal(true);
    expect(signature('GroupReload', '', 'sec')).to.equal(crypto.createHash('sha256').update('GroupReloadsec').digest('hex'));
  });

  it('accepts a correctly signed message, as Tyk would send it', () => {
    const sig = crypto.createHash('sha256').update('GroupReload' + '' + 's3cret').digest('hex');
    const text = `{"command":"GroupReload","payload":"","signature":"${sig}","algorithm":5}`;
    expect(decodeNotification(text, 's3cret', false)).to.deep.equal({ ok: true, notification: { command: 'GroupReload', payload: '' }, verified: true });
  });

  it('refuses unsigned, badly signed, other-algorithm and malformed messages', () => {
    const good = JSON.parse(encodeNotification('GroupReload', '', 'right'));
    const cases = [
      [JSON.stringify({ command: 'GroupReload', payload: '' }), 'unsigned'],
      [JSON.stringify({ ...good, signature: signature('GroupReload', '', 'wrong') }), 'bad signature'],
      [JSON.stringify({ ...good, payload: 'tampered' }), 'bad signature'],
      [JSON.stringify({ ...good, algorithm: 0 }), 'unsupported signature algorithm 0'],
      [JSON.stringify({ ...good, signature: 'abc' }), 'bad signature'],
      ['nope', 'not JSON'],
      ['[1]', 'no command'],
      [JSON.stringify({ command: 'GroupReload', payload: 5 }), 'payload is not a string'],
    ];
    for (const [text, reason] of cases) {
      const decoded = decodeNotification(text, 'right', false);
      expect(decoded.ok, text).to.equal(false);
      expect((decoded as { reason?: string }).reason, text).to.equal(reason);
    }
  });

  it('allow_insecure_configs accepts what it cannot verify, marked unverified', () => {
    const decoded = decodeNotification(JSON.stringify({ command: 'ApiUpdated', payload: 'api1' }), 'right', true);
    expect(decoded).to.deep.equal({ ok: true, notification: { command: 'ApiUpdated', payload: 'api1' }, verified: false });
  });

  it('splits a KeySpaceUpdateNotification payload into stored keys', () => {
    expect(keysOfPayload('a, b,,c ')).to.deep.equal(['a', 'b', 'c']);
    expect(keysOfPayload('')).to.deep.equal([]);
  });
});

describe('ClusterBus over a real redis-server', function () {
  quietLogs();
  let redis: RunningRedis;
  const buses: ClusterBus[] = [];
  const publishers: Redis[] = [];

  before(async function () {
    requireRedisServer(this);
    redis = await startRedis();
  });

  after(async () => {
    for (const bus of buses) await bus.close();
    for (const c of publishers) c.disconnect();
    if (redis) await redis.close();
  });

  async function node(secret = 'ns', allowInsecure = false) {
    const target = { source: 'test', host: '127.0.0.1', port: redis.port, timeoutSeconds: 1 };
    const publisher = createRedisClient(target, 'store');
    await publisher.connect();
    const heard = { reload: [] as string[], keys: [] as string[], resync: 0 };
    const bus = new ClusterBus({
      publisher,
      subscriber: createRedisClient(target, 'subscriber'),
      nodeSecret: secret,
      allowInsecure,
      handlers: {
        reload: (command) => heard.reload.push(command),
        keysChanged: (keys) => heard.keys.push(...keys),
        resync: () => heard.resync++,
      },
    });
    await bus.start(target);
    publishers.push(publisher);
    buses.push(bus);
    return { bus, heard, publisher };
  }

  it('delivers reloads and key changes to other nodes but not back to the sender', async () => {
    const a = await node();
    const b = await node();
    await a.bus.publish('GroupReload', '');
    a.bus.notifyKeyChanged('key-1');
    for (const command of ['ApiUpdated', 'ApiAdded', 'ApiRemoved', 'PolicyChanged']) await a.bus.publish(command, 'x');
    await a.bus.publish('OAuthPurgeLapsedTokens', '');
    await until(() => b.heard.reload.length === 5 && b.heard.keys.length === 1, { timeoutMs: 2000, stepMs: 10 });
    expect(b.heard.reload).to.deep.equal(['GroupReload', 'ApiUpdated', 'ApiAdded', 'ApiRemoved', 'PolicyChanged']);
    expect(b.heard.keys).to.deep.equal(['key-1']);
    await sleep(100);
    expect(a.heard).to.deep.equal({ reload: [], keys: [], resync: 0 });
  });

  it('still hears the same text from another node while awaiting its own echo', async () => {
    const a = await node('same');
    const b = await node('same');
    const c = await node('same');
    // a and b send byte-identical messages at once: a skips one copy (its own), not both.
    await Promise.all([a.bus.publish('KeySpaceUpdateNotification', 'dup'), b.bus.publish('KeySpaceUpdateNotification', 'dup')]);
    await until(() => c.heard.keys.length === 2, { timeoutMs: 2000, stepMs: 10 });
    await until(() => a.heard.keys.length === 1 && b.heard.keys.length === 1, { timeoutMs: 2000, stepMs: 10 });
  });

  it('ignores messages signed with another secret unless allow_insecure_configs', async () => {
    const strict = await node('mine');
    const lax = await node('mine', true);
    const raw = redis.client();
    await raw.publish(NOTIFICATION_CHANNEL, encodeNotification('GroupReload', '', 'theirs'));
    await raw.publish(NOTIFICATION_CHANNEL, JSON.stringify({ command: 'KeySpaceUpdateNotification', payload: 'k9' }));
    await until(() => lax.heard.reload.length === 1 && lax.heard.keys.length === 1, { timeoutMs: 2000, stepMs: 10 });
    await sleep(100);
    expect(strict.heard.reload).to.deep.equal([]);
    expect(strict.heard.keys).to.deep.equal([]);
  });

  it('asks for a resync after the subscription was interrupted, and keeps listening', async () => {
    const a = await node('r');
    const b = await node('r');
    await redis.stop();
    await sleep(100);
    await redis.restart();
    await until(() => a.heard.resync === 1 && b.heard.resync === 1, { timeoutMs: 5000, stepMs: 10 });
    // Publishing needs the (reconnected) publisher too.
    await until(() => a.publisher.status === 'ready', { timeoutMs: 5000, stepMs: 10 });
    await a.bus.publish('GroupReload', '');
    await until(() => b.heard.reload.length === 1, { timeoutMs: 2000, stepMs: 10 });
  });
});
