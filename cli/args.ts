/** A usage mistake: reported as a one-line message with exit code 2, never as a stack trace. */
export class UsageError extends Error {}

export interface ParsedArgs {
  flags: Map<string, string>;
  switches: Set<string>;
  /** Every value of a flag that may be given more than once (`--drivers a.csv --drivers b.csv`). */
  lists: Map<string, string[]>;
}

/** `--name value` flags and `--switch` booleans; anything else is a usage error. Flags in `repeatable` may recur. */
export function parseArgs(argv: readonly string[], valued: readonly string[], booleans: readonly string[] = [], repeatable: readonly string[] = []): ParsedArgs {
  const flags = new Map<string, string>();
  const switches = new Set<string>();
  const lists = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (booleans.includes(name)) {
      switches.add(name);
      continue;
    }
    if (!valued.includes(name) && !repeatable.includes(name)) throw new UsageError(`unknown option --${name} (expected one of ${[...valued, ...repeatable, ...booleans].map((v) => `--${v}`).join(', ')})`);
    const value = inline ?? argv[++i];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
    if (repeatable.includes(name)) lists.set(name, [...(lists.get(name) ?? []), value]);
    else flags.set(name, value);
  }
  return { flags, switches, lists };
}

export function requireFlag(args: ParsedArgs, name: string): string {
  const value = args.flags.get(name);
  if (value === undefined) throw new UsageError(`--${name} is required`);
  return value;
}

export function integerFlag(args: ParsedArgs, name: string, fallback: number | undefined, min: number, max: number): number {
  const text = args.flags.get(name);
  if (text === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name} must be a whole number, got "${text}"`);
  const value = Number(text);
  if (value < min || value > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}
