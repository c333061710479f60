// Build everything a fresh clone needs: protobuf static code from proto/, the host (tsc),
// the sandbox runtime bundle that every isolate loads, and the Python plugin host.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { coprocessDescriptorSet } from './proto-descriptor.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

const generated = join(root, 'src', 'protocol', 'generated');
mkdirSync(generated, { recursive: true });

const protos = readdirSync(join(root, 'proto')).filter((f) => f.endsWith('.proto')).sort().map((f) => join('proto', f));
// --keep-case: plugins see Tyk's proto field names (set_headers, raw_body, ...), as gRPC plugins do.
run(bin('pbjs'), ['-t', 'static-module', '-w', 'commonjs', '--keep-case', '--no-verify', '--no-delimited',
  '--no-typeurl', '--no-convert', '-o', join(generated, 'coprocess.js'), ...protos]);
run(bin('pbts'), ['-o', join(generated, 'coprocess.d.ts'), join(generated, 'coprocess.js')]);

// `--tests` (npm test's pretest) compiles test/ with the sources in the same tsc pass, into a
// fresh dist/test/: a test file deleted or renamed in test/ must not run on from a stale copy.
const withTests = process.argv.includes('--tests');
if (withTests) rmSync(join(root, 'dist', 'test'), { recursive: true, force: true });
run(bin('tsc'), ['-p', withTests ? join('test', 'tsconfig.json') : 'tsconfig.json']);
// The in-isolate code is type-checked too (esbuild only strips types).
run(bin('tsc'), ['-p', join('sandbox', 'tsconfig.json')]);

mkdirSync(join(root, 'dist', 'sandbox'), { recursive: true });
await esbuild.build({
  entryPoints: [join(root, 'sandbox', 'index.ts')],
  outfile: join(root, 'dist', 'sandbox', 'runtime.js'),
  bundle: true,
  format: 'iife',
  platform: 'neutral',
  target: 'es2022',
  mainFields: ['main'],
  // Readable identifiers keep guest stack traces useful; syntax minification still trims the bundle.
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: 'none',
  logLevel: 'warning',
  // protobufjs probes for the `long` package; the sandbox runs without it (int64 as numbers), so
  // 50 KB that every isolate would parse is left out.
  plugins: [{
    name: 'no-long',
    setup(build) {
      build.onResolve({ filter: /^long$/ }, () => ({ path: 'long', namespace: 'no-long' }));
      build.onLoad({ filter: /.*/, namespace: 'no-long' }, () => ({ contents: 'module.exports = null;', loader: 'js' }));
    },
  }],
});
// The Python plugin host (driver `python`) runs from dist beside the driver that starts it, with
// the proto descriptor it builds its message classes from.
const pythonHost = join('src', 'coprocess', 'drivers', 'python', 'host');
rmSync(join(root, 'dist', pythonHost), { recursive: true, force: true });
cpSync(join(root, pythonHost), join(root, 'dist', pythonHost), { recursive: true, filter: (src) => !/__pycache__|\.pyc$/.test(src) });
writeFileSync(join(root, 'dist', pythonHost, 'coprocess_descriptor.json'), JSON.stringify(coprocessDescriptorSet(join(root, 'proto'))) + '\n');

writeFileSync(join(root, 'dist', 'BUILD_INFO.json'), JSON.stringify({ builtAt: new Date().toISOString() }) + '\n');
