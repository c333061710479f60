import { parseArgs, type ParseArgsConfig } from 'node:util';

/** One option of a command: what node:util parseArgs needs, plus its line in `--help`. */
interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Shown after the flag in the help (`--conf FILE`). */
  value?: string;
  help: string;
}

export type OptionTable = Record<string, OptionSpec>;

/** Bad usage: the CLI prints the message and the help, and exits 2. */
export class UsageError extends Error {}

/**
 * Parse `argv` against `table` (node:util parseArgs, strict: an unknown option or a missing
 * value is a UsageError). Adding an option to a command is one entry in its table.
 */
export function parseOptions(argv: string[], table: OptionTable, positionals = false): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, spec] of Object.entries(table)) options[name] = spec.short ? { type: spec.type, short: spec.short } : { type: spec.type };
  try {
    const parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: positionals });
    for (const [name, spec] of Object.entries(table)) {
      const v = parsed.values[name];
      if (spec.type === 'string' && v === '') throw new UsageError(`--${name} needs ${spec.value ? `a ${spec.value.toLowerCase()}` : 'a value'}`);
    }
    return { values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    // parseArgs' messages name the option ("Unknown option '--x'", "Option '--conf <value>' argument missing").
    throw new UsageError((err as Error).message);
  }
}

/** The table's lines for `--help`. */
export function describeOptions(table: OptionTable): string {
  return Object.entries(table)
    .map(([name, spec]) => {
      const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.value ? ` ${spec.value}` : ''}`;
      return `  ${flag.padEnd(24)}${spec.help}`;
    })
    .join('\n');
}
