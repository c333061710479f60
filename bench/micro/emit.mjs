/** Micro scripts run in child processes and hand their figures back as one tagged JSON line. */
export const RESULT_TAG = 'BENCH_RESULT ';

export function emitResult(result) {
  process.stdout.write(`${RESULT_TAG}${JSON.stringify(result)}\n`);
}
