import cluster, { type Worker } from 'node:cluster';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { abortedExit, attribute, quarantineEntryFor } from '../containment/attribution';
import { type RecordedEntry, readEntryRecord } from '../containment/entry-record';
import { isQuarantineMessage, type QuarantineEntry, type QuarantineMessage, sameApi } from '../containment/quarantine';
import { logger } from '../log/logger';
import { WorkerRelay } from '../cluster/worker-relay';
import { type ActivateMessage, EXIT_CONFIG } from './worker';

/** Busy entries of an abort older than this say nothing about the next one. */
const REPEAT_WINDOW_MS = 60_000;

/**
 * The process model. A V8 fatal out-of-memory inside any isolate (one huge allocation) aborts
 * the whole process and isolated-vm cannot catch it; so the gateway runs in a worker process
 * and this primary restarts it. A crash costs the requests in flight on that worker.
 *
 * Each worker writes an entry record (src/containment/entry-record.ts): which API is inside an
 * isolate. When a worker aborts, the record names the API whose middleware did it; that API is
 * quarantined (the next worker answers 503 for it without running its code) and the next worker
 * starts at once. An abort nobody can be blamed for is restarted with growing back-off.
 *
 * With `worker_count` N > 1, N workers serve side by side on one listening socket (each accepts
 * for itself); every slot is watched and refilled on its own, so a dying worker costs only its
 * own in-flight requests. A message between workers (a key changed, a reload) goes through this
 * primary (src/cluster/worker-relay.ts), and so do quarantine changes: every worker holds the
 * same list.
 *
 * A standby worker waits beside the serving ones with Node, the gateway's modules and
 * isolated-vm already loaded (its only cost is an idle process, ~50 MB RSS): it takes over
 * when the serving worker dies, so the other APIs are down for the time it takes to load the
 * APIs, not to boot a process.
 */
export function superviseWorker(env: Record<string, string>, workers = 1): Promise<number> {
  // Each worker accepts connections itself. With the default round-robin the primary accepts
  // and hands each connection over; one handed to a worker that dies before answering is never
  // closed or handed on, and its client hangs until its own timeout (seen: 300 s).
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  let stopping = false;
  /** Serving workers by slot (0 … workers-1). */
  const active = new Map<number, Worker>();
  let standby: { worker: Worker; ready: boolean } | undefined;
  const recentCrashes: number[] = [];
  // A startup failure of the very first worker (bad config, Redis unreachable) ends the process
  // with a clear error; once the gateway has served, every exit is retried with backoff.
  let everReady = false;
  const recordDir = mkdtempSync(join(tmpdir(), 'isogate-entries-'));
  let records = 0;
  let quarantined: QuarantineEntry[] = [];
  let lastAbort: { at: number; busy: RecordedEntry[] } | undefined;
  const relay = new WorkerRelay(() => [...active.values()]);

  /** The other serving workers learn every change of the list, and rebuild what it now holds or frees. */
  const shareQuarantine = (except?: Worker): void => {
    for (const w of active.values()) if (w !== except && w.isConnected()) w.send({ isogate: 'quarantine-set', entries: quarantined });
  };

  const onQuarantineMessage = (msg: QuarantineMessage, from: Worker): void => {
    if (msg.isogate === 'quarantine-lift') {
      quarantined = quarantined.filter((e) => !sameApi(e, msg.key));
      logger.info({ api: msg.key.api ?? msg.key.api_sha256, why: msg.why }, 'quarantine lifted');
    } else if (!quarantined.some((e) => sameApi(e, msg.entry))) {
      quarantined.push(msg.entry);
    } else {
      return;
    }
    shareQuarantine(from);
  };

  /** After an abort: quarantine the API the record names; true if one was newly quarantined. */
  const quarantineCulprit = (recordFile: string, code: number | null, signal: string | null): boolean => {
    const record = readEntryRecord(recordFile);
    const now = Date.now();
    const previous = lastAbort && now - lastAbort.at < REPEAT_WINDOW_MS ? lastAbort.busy : [];
    lastAbort = { at: now, busy: record.busy };
    const found = attribute(record, previous);
    if (!found) {
      logger.error({ code, signal, busy: record.busy }, 'gateway worker aborted; the entry record does not name one API, so none is quarantined');
      return false;
    }
    const entry = quarantineEntryFor(found, code, signal);
    const name = entry.api ?? `sha256:${entry.api_sha256}`;
    if (quarantined.some((e) => sameApi(e, entry) && e.code === entry.code)) {
      // Quarantined already, yet its code ran: do not restart in a tight loop.
      logger.error({ api_id: name }, `api ${name} aborted the worker again although quarantined`);
      return false;
    }
    quarantined = [...quarantined.filter((e) => !sameApi(e, entry)), entry];
    logger.error(
      { api_id: name, quarantine: entry },
      `api ${name} aborted the gateway worker: ${entry.reason}; it is quarantined (503 until its middleware changes or DELETE /tyk/apis/${name}/quarantine); starting the next worker now`,
    );
    shareQuarantine();
    return true;
  };

  return new Promise((resolve) => {
    let finished = false;
    const finish = (code: number) => {
      if (finished) return;
      finished = true;
      if (standby) standby.worker.process.kill('SIGTERM');
      for (const w of active.values()) w.process.kill('SIGTERM');
      rmSync(recordDir, { recursive: true, force: true });
      resolve(code);
    };

    const activation = (): ActivateMessage => ({ isogate: 'activate', record: join(recordDir, `worker-${++records}.record`), quarantine: quarantined });

    /**
     * Wire a worker that serves slot `slot`: a standby that is ready gets `activate` now, a fresh
     * one as soon as it says it is listening for it (a message sent earlier could be lost).
     */
    const serve = (slot: number, worker: Worker, activate: ActivateMessage, ready: boolean) => {
      active.set(slot, worker);
      if (ready) worker.send(activate);
      worker.on('message', (msg) => {
        if (msg === 'isogate:standby' && !ready) worker.send(activate);
        else if (msg === 'isogate:ready') {
          everReady = true;
          if (!standby && !stopping) spawnStandby();
        } else if (isQuarantineMessage(msg)) onQuarantineMessage(msg, worker);
        else relay.onMessage(worker, msg);
      });
      worker.on('exit', (code, signal) => {
        if (active.get(slot) === worker) active.delete(slot);
        relay.gone(worker);
        if (stopping) {
          if (active.size === 0) finish(code ?? 0);
          return;
        }
        if (code === EXIT_CONFIG && !everReady) {
          logger.fatal('the gateway could not start (see the error above); not restarting');
          return finish(1);
        }
        const blamed = abortedExit(code, signal) && quarantineCulprit(activate.record, code, signal);
        rmSync(activate.record, { force: true });
        if (blamed) {
          // The cause is out of the way: no back-off; this slot is empty until the next is up.
          return next(slot);
        }
        const now = Date.now();
        recentCrashes.push(now);
        while (recentCrashes.length && recentCrashes[0]! < now - 60_000) recentCrashes.shift();
        const delay = Math.min(5000, 100 * 2 ** Math.max(0, recentCrashes.length - 1));
        logger.error({ code, signal, slot, restart_in_ms: delay, serving: active.size }, 'gateway worker died; restarting it');
        setTimeout(() => next(slot), delay);
      });
    };

    /** Put the next worker into `slot`: the standby when it is ready, else a fresh one. */
    const next = (slot: number) => {
      if (stopping || active.has(slot)) return;
      if (standby?.ready) {
        const { worker } = standby;
        standby = undefined;
        serve(slot, worker, activation(), true);
        // The next one boots at once: if this one dies while loading (code that aborts at start),
        // its successor should be warm too.
        spawnStandby();
        return;
      }
      if (standby) {
        // Still booting, yet further along than a fresh fork: it takes this slot and is
        // activated as soon as it says it is warm.
        const { worker } = standby;
        standby = undefined;
        serve(slot, worker, activation(), false);
        return;
      }
      serve(slot, cluster.fork(env), activation(), false);
    };

    const spawnStandby = () => {
      const worker = cluster.fork(env);
      const entry = { worker, ready: false };
      standby = entry;
      worker.on('message', (msg) => {
        if (msg !== 'isogate:standby') return;
        entry.ready = true;
        logger.info({ standby_pid: worker.process.pid }, 'standby worker ready');
      });
      worker.on('exit', (code, signal) => {
        if (standby !== entry) return; // promoted: serve() watches it now
        standby = undefined;
        if (stopping) return;
        logger.warn({ code, signal }, 'standby worker died; starting another in 5 s');
        setTimeout(() => {
          if (!standby && !stopping && active.size > 0) spawnStandby();
        }, 5000).unref();
      });
    };

    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal, workers: active.size }, 'supervisor stopping the gateway workers');
      if (standby) standby.worker.process.kill('SIGTERM');
      if (active.size === 0) return finish(0);
      for (const w of active.values()) w.send('isogate:stop');
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    for (let slot = 0; slot < workers; slot++) next(slot);
  });
}
