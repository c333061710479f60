import cluster, { type Worker } from 'node:cluster';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { abortedExit, attribute, quarantineEntryFor } from '../containment/attribution';
import { type RecordedEntry, readEntryRecord } from '../containment/entry-record';
import { isQuarantineMessage, type QuarantineEntry, type QuarantineMessage, sameApi } from '../containment/quarantine';
import { logger } from '../log/logger';
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
 * A standby worker waits beside the serving one with Node, the gateway's modules and
 * isolated-vm already loaded (its only cost is an idle process, ~50 MB RSS): it takes over
 * when the serving worker dies, so the other APIs are down for the time it takes to load the
 * APIs, not to boot a process.
 */
export function superviseWorker(env: Record<string, string>): Promise<number> {
  // The worker accepts connections itself. With the default round-robin the primary accepts
  // and hands each connection over; one handed to a worker that dies before answering is never
  // closed or handed on, and its client hangs until its own timeout (seen: 300 s).
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  let stopping = false;
  let active: Worker | undefined;
  let standby: { worker: Worker; ready: boolean } | undefined;
  const recentCrashes: number[] = [];
  // A startup failure of the very first worker (bad config, Redis unreachable) ends the process
  // with a clear error; once the gateway has served, every exit is retried with backoff.
  let everReady = false;
  const recordDir = mkdtempSync(join(tmpdir(), 'isogate-entries-'));
  let records = 0;
  let quarantined: QuarantineEntry[] = [];
  let lastAbort: { at: number; busy: RecordedEntry[] } | undefined;

  const onQuarantineMessage = (msg: QuarantineMessage): void => {
    if (msg.isogate === 'quarantine-lift') {
      quarantined = quarantined.filter((e) => !sameApi(e, msg.key));
      logger.info({ api: msg.key.api ?? msg.key.api_sha256, why: msg.why }, 'quarantine lifted');
    } else if (!quarantined.some((e) => sameApi(e, msg.entry))) {
      quarantined.push(msg.entry);
    }
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
    return true;
  };

  return new Promise((resolve) => {
    const finish = (code: number) => {
      if (standby) standby.worker.process.kill('SIGTERM');
      rmSync(recordDir, { recursive: true, force: true });
      resolve(code);
    };

    const activation = (): ActivateMessage => ({ isogate: 'activate', record: join(recordDir, `worker-${++records}.record`), quarantine: quarantined });

    /**
     * Wire a worker that serves: a standby that is ready gets `activate` now, a fresh one as soon
     * as it says it is listening for it (a message sent earlier could be lost).
     */
    const serve = (worker: Worker, activate: ActivateMessage, ready: boolean) => {
      active = worker;
      if (ready) worker.send(activate);
      worker.on('message', (msg) => {
        if (msg === 'isogate:standby' && !ready) worker.send(activate);
        else if (msg === 'isogate:ready') {
          everReady = true;
          if (!standby && !stopping) spawnStandby();
        } else if (isQuarantineMessage(msg)) onQuarantineMessage(msg);
      });
      worker.on('exit', (code, signal) => {
        if (active === worker) active = undefined;
        if (stopping) return finish(code ?? 0);
        if (code === EXIT_CONFIG && !everReady) {
          logger.fatal('the gateway could not start (see the error above); not restarting');
          return finish(1);
        }
        const blamed = abortedExit(code, signal) && quarantineCulprit(activate.record, code, signal);
        rmSync(activate.record, { force: true });
        if (blamed) {
          // The cause is out of the way: no back-off; the other APIs are down until this is up.
          return next();
        }
        const now = Date.now();
        recentCrashes.push(now);
        while (recentCrashes.length && recentCrashes[0]! < now - 60_000) recentCrashes.shift();
        const delay = Math.min(5000, 100 * 2 ** Math.max(0, recentCrashes.length - 1));
        logger.error({ code, signal, restart_in_ms: delay }, 'gateway worker died; restarting it');
        setTimeout(next, delay);
      });
    };

    /** Put the next worker to serve: the standby when it is ready, else a fresh one. */
    const next = () => {
      if (stopping) return;
      if (standby?.ready) {
        const { worker } = standby;
        standby = undefined;
        serve(worker, activation(), true);
        // The next one boots at once: if this one dies while loading (code that aborts at start),
        // its successor should be warm too.
        spawnStandby();
        return;
      }
      if (standby) standby.worker.process.kill('SIGKILL');
      standby = undefined;
      serve(cluster.fork(env), activation(), false);
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
          if (!standby && !stopping && active) spawnStandby();
        }, 5000).unref();
      });
    };

    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'supervisor stopping the gateway worker');
      if (!active) return finish(0);
      active.send('isogate:stop');
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    next();
  });
}
