import { buildBundle } from '../bundles/build';
import { BundleError } from '../bundles/errors';
import { describeHooks, inspectBundle } from '../bundles/inspect';
import { parseGatewayConfig } from '../config/gateway-config';
import { BUNDLE_USAGE } from './bundle-usage';


class UsageError extends Error {}

function takeValue(argv: string[], i: number, flag: string): string {
  const value = argv[i + 1];
  if (value === undefined || value.startsWith('-')) throw new UsageError(`${flag} needs a file`);
  return value;
}

async function build(argv: string[]): Promise<number> {
  let manifestPath = 'manifest.json';
  let outputPath = 'bundle.zip';
  let privateKeyPath: string | undefined;
  let skipSigning = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-m' || a === '--manifest') manifestPath = takeValue(argv, i++, a);
    else if (a === '-o' || a === '--output') outputPath = takeValue(argv, i++, a);
    else if (a === '-k' || a === '--key') privateKeyPath = takeValue(argv, i++, a);
    else if (a === '-y' || a === '--yes') skipSigning = true;
    else throw new UsageError(`bundle build: unknown argument ${JSON.stringify(a)}`);
  }
  if (skipSigning && privateKeyPath) process.stderr.write('bundle build: -y given: building unsigned, -k is ignored\n');
  const result = await buildBundle({ manifestPath, outputPath, privateKeyPath, skipSigning });
  process.stdout.write(`${result.output}: ${result.files.length} file(s) + manifest.json, checksum ${result.checksum}, ${result.signed ? 'signed' : 'unsigned'}\n`);
  return 0;
}

async function verify(argv: string[]): Promise<number> {
  let file: string | undefined;
  let keyPath: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--key' || a === '-k') keyPath = takeValue(argv, i++, a);
    else if (a.startsWith('--key=')) keyPath = a.slice(6);
    else if (a.startsWith('-')) throw new UsageError(`bundle verify: unknown option ${JSON.stringify(a)}`);
    else if (file === undefined) file = a;
    else throw new UsageError(`bundle verify: one bundle file at a time (got ${JSON.stringify(file)} and ${JSON.stringify(a)})`);
  }
  if (!file) throw new UsageError('bundle verify: give the bundle zip to check');
  // The caps a gateway applies by default (bundle_options in the gateway config).
  const { bundle_options: caps } = parseGatewayConfig({}, '<defaults>', process.cwd());
  try {
    // Which files each driver loads; the registry is loaded only here (it brings in isolated-vm).
    const { DRIVER_SOURCES } = await import('../coprocess/drivers');
    const { manifest, verified, sources } = await inspectBundle(file, keyPath, { maxEntries: caps.max_entries, maxBytes: caps.max_uncompressed_bytes, maxDownloadBytes: caps.max_download_bytes }, DRIVER_SOURCES);
    const signature = verified.signatureVerified ? `verified with ${keyPath}`
      : verified.signed ? 'present, not checked (give --key to check it)'
        : 'none (a gateway with public_key_path refuses this bundle)';
    process.stdout.write([
      `${file}: OK — a gateway would load it`,
      `  checksum   ${verified.checksum} (matches ${manifest.file_list.length} file(s) of file_list)`,
      `  signature  ${signature}`,
      `  driver     ${manifest.custom_middleware.driver || '(none)'}`,
      ...describeHooks(manifest).map((h, i) => `  ${i === 0 ? 'hooks     ' : '          '} ${h}`),
      ...(sources.length ? [`  loads      ${sources.join(', ')}`] : []),
      '',
    ].join('\n'));
    return 0;
  } catch (err) {
    if (!(err instanceof BundleError)) throw err;
    process.stdout.write(`${file}: REFUSED — ${err.message}\n`);
    return 1;
  }
}

/** `isogate bundle ...`; returns the exit code. */
export async function runBundleCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    if (sub === 'build') return await build(rest);
    if (sub === 'verify') return await verify(rest);
    if (sub === undefined || sub === '--help' || sub === '-h') {
      process.stdout.write(`Usage:\n${BUNDLE_USAGE}`);
      return sub === undefined ? 2 : 0;
    }
    throw new UsageError(`bundle: unknown command ${JSON.stringify(sub)} (build or verify)`);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n\nUsage:\n${BUNDLE_USAGE}`);
      return 2;
    }
    if (err instanceof BundleError) {
      process.stderr.write(`bundle ${sub}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
