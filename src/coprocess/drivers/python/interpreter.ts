import { execFile } from 'node:child_process';

/** A Python 3 that can run the plugin host: it imports grpc and google.protobuf. */
export interface PythonInterpreter {
  /** What to spawn (as found: a path, or `python3` looked up on PATH). */
  command: string;
  version: string;
  grpc: string;
  protobuf: string;
}

// What the host needs, checked the way it will be used; prints the versions for /tyk/apis/{id}/runtime.
const PROBE = [
  'import sys',
  'assert sys.version_info >= (3, 7), "Python %s is older than 3.7" % sys.version.split()[0]',
  'import grpc, google.protobuf',
  'print(sys.version.split()[0], grpc.__version__, google.protobuf.__version__)',
].join('\n');

const PROBE_TIMEOUT_MS = 15_000;
/** A failed search is repeated at most this often: installing the packages and reloading then works. */
const RETRY_FAILED_MS = 5_000;

export const INSTALL_HINT =
  'install grpcio and protobuf for Python 3 (Debian/Ubuntu: apt-get install python3-grpcio python3-protobuf; elsewhere: python3 -m pip install grpcio protobuf), or set PYTHON=/path/to/python3 for the gateway';

/**
 * The interpreters tried, in order, as scripts/ensure-python-grpc.sh does: `PYTHON` from the
 * environment, `python3` on PATH, then Debian's /usr/bin/python3 (python3-grpcio installs into
 * its dist-packages, which a pyenv or venv python3 earlier on PATH does not see).
 */
export function candidates(env: NodeJS.ProcessEnv = process.env): string[] {
  return [...new Set([env.PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => Boolean(c)))];
}

function probe(command: string): Promise<PythonInterpreter> {
  return new Promise((resolve, reject) => {
    execFile(command, ['-c', PROBE], { timeout: PROBE_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const why = code === 'ENOENT' ? 'not found' : (stderr.trim().split('\n').pop() || error.message);
        reject(new Error(`${command}: ${why}`));
        return;
      }
      const [version = '', grpc = '', protobuf = ''] = stdout.trim().split(/\s+/);
      resolve({ command, version, grpc, protobuf });
    });
  });
}

/** The first usable candidate, or an error naming each one tried, why it failed, and what to install. */
export async function findInterpreter(env: NodeJS.ProcessEnv = process.env): Promise<PythonInterpreter> {
  const reasons: string[] = [];
  for (const command of candidates(env)) {
    try {
      return await probe(command);
    } catch (err) {
      reasons.push((err as Error).message);
    }
  }
  throw new Error(`custom_middleware.driver "python": no Python 3 with grpcio and protobuf found (tried ${reasons.join('; ')}): ${INSTALL_HINT}`);
}

/** One search per gateway, shared by every Python API; a failure is retried after a few seconds. */
export class InterpreterCache {
  private found?: Promise<PythonInterpreter>;
  private failedAt = 0;

  get(): Promise<PythonInterpreter> {
    if (this.found && !(this.failedAt && Date.now() - this.failedAt > RETRY_FAILED_MS)) return this.found;
    this.failedAt = 0;
    const search = findInterpreter();
    this.found = search;
    search.catch(() => {
      if (this.found === search) this.failedAt = Date.now();
    });
    return search;
  }
}
