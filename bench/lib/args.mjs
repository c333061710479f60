// Command-line options of `npm run bench`. Defaults are the issue's: 32 connections, ~10 s per
// system after a warm-up, RSS at 100 and 1,000 APIs, cold start median of 20.

export const USAGE = `npm run bench -- [options]

  --connections N   concurrent keep-alive connections (default 32)
  --duration S      measured seconds per system (default 10)
  --warmup S        warm-up seconds per system, not measured (default 3)
  --rounds N        measure every system N times, interleaved; the median is reported (default 1)
  --systems LIST    e.g. a,b,c (default a,b,c,d,e,f,g,l,w,t,b0,c0,b2,c2)
  --micro           only the micro figures (dispatch, cold start, RSS, events)
  --no-micro        only the systems table
  --rss-apis LIST   API counts for the RSS figure (default 100,1000)
  --cold-samples N  cold-start samples (default 20)
  --wait-quiet S    before each system, wait up to S seconds until other processes use < 15%
                    of a core (default 60; 0 = don't wait)
  --dist DIR        measure another build (a dist/ folder) instead of this checkout's, to
                    compare two builds with the same harness (DIR/.. must resolve the same
                    node_modules, e.g. through a symlink)
  --profile         gateways write V8 CPU profiles to bench/results/profiles/
                    (summarise one with: node bench/profile.mjs FILE)
  --smoke           a few seconds in total: tiny durations, systems a,b,c, 10 APIs
  --help            this text
`;

const DEFAULTS = {
  connections: 32,
  duration: 10,
  warmup: 3,
  /** Seconds of load straight at the upstream before the first system. */
  harnessWarmup: 5,
  rounds: 1,
  systems: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'l', 'w', 't', 'b0', 'c0', 'b2', 'c2'],
  systemsTable: true,
  micro: true,
  rssApis: [100, 1000],
  coldSamples: 20,
  dispatchIterations: 20_000,
  eventSeconds: 3,
  eventsPerCall: 100,
  /** Idle time before an RSS reading, so the figure is the idle footprint, not the burst's. */
  settleMs: 2000,
  waitQuiet: 60,
  smoke: false,
};

const SMOKE = {
  duration: 0.5,
  warmup: 0.2,
  harnessWarmup: 0.3,
  systems: ['a', 'b', 'c'],
  rssApis: [10],
  coldSamples: 3,
  dispatchIterations: 500,
  eventSeconds: 0.3,
  settleMs: 200,
  waitQuiet: 0,
  smoke: true,
};

function number(name, value, { min = 0, integer = false } = {}) {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) throw new Error(`${name}: expected a number >= ${min}, got "${value}"`);
  return n;
}

function list(name, value, parse) {
  const items = String(value).split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new Error(`${name}: expected a comma-separated list`);
  return items.map(parse);
}

export function parseArgs(argv) {
  const opts = { ...DEFAULTS };
  const explicit = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--help':
      case '-h':
        opts.help = true;
        break;
      case '--connections':
        explicit.connections = number(flag, value(), { min: 1, integer: true });
        break;
      case '--duration':
        explicit.duration = number(flag, value(), { min: 0.1 });
        break;
      case '--warmup':
        explicit.warmup = number(flag, value());
        break;
      case '--rounds':
        explicit.rounds = number(flag, value(), { min: 1, integer: true });
        break;
      case '--systems':
        explicit.systems = list(flag, value(), (s) => {
          if (!DEFAULTS.systems.includes(s)) throw new Error(`--systems: unknown system "${s}" (${DEFAULTS.systems.join(', ')})`);
          return s;
        });
        break;
      case '--rss-apis':
        explicit.rssApis = list(flag, value(), (s) => number(flag, s, { min: 1, integer: true }));
        break;
      case '--cold-samples':
        explicit.coldSamples = number(flag, value(), { min: 1, integer: true });
        break;
      case '--micro':
        explicit.systemsTable = false;
        explicit.micro = true;
        break;
      case '--no-micro':
        explicit.micro = false;
        break;
      case '--smoke':
        Object.assign(opts, SMOKE);
        break;
      case '--wait-quiet':
        explicit.waitQuiet = number(flag, value());
        break;
      case '--dist':
        explicit.dist = value();
        break;
      case '--profile':
        explicit.profile = true;
        break;
      default:
        throw new Error(`unknown option "${arg}"\n\n${USAGE}`);
    }
  }
  // Explicit flags win over --smoke, wherever --smoke appears.
  Object.assign(opts, explicit);
  if (!opts.systemsTable && !opts.micro) throw new Error('--micro and --no-micro together leave nothing to run');
  // (a) is the floor every ratio divides by.
  if (opts.systemsTable && !opts.systems.includes('a')) opts.systems = ['a', ...opts.systems];
  return opts;
}
