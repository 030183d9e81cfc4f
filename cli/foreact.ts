import { UsageError } from './args.js';
import { ADMIN_USAGE } from './usage.js';

type Command = (argv: readonly string[]) => Promise<number>;

/**
 * Each command is loaded when it runs, never at start-up: `admin` and `ingest` pull in the Azure SDKs and
 * OpenTelemetry (about a second of loading), which `forecast`, `backtest` and `--help` do not need.
 * tests/cli/lazy-load.test.ts checks that those three load no Azure or telemetry module.
 */
const COMMANDS: Record<string, { run: Command; usage: string }> = {
  admin: { run: async (argv) => (await import('./commands/admin.js')).adminCommand(argv), usage: ADMIN_USAGE },
  forecast: { run: async (argv) => (await import('./commands/forecast.js')).forecastCommand(argv), usage: 'forecast --input history.csv[.gz] [--drivers drivers.csv[.gz] ...] [--stores stores.csv[.gz]] [--items items.csv] --horizon 90 --output forecasts.csv [--folds 3]' },
  backtest: { run: async (argv) => (await import('./commands/backtest.js')).backtestCommand(argv), usage: 'backtest --input history.csv[.gz] [--drivers drivers.csv[.gz] ...] [--stores stores.csv[.gz]] --horizon 90 [--folds 3] [--json]' },
  ingest: { run: async (argv) => (await import('./commands/ingest.js')).ingestCommand(argv), usage: 'ingest --input sales.csv[.gz] | --drivers drivers.csv[.gz] | --items items.csv[.gz] [--name <upload name>]   (into FOREACT_STORAGE, default local Azurite)' },
};

export function usageText(): string {
  return ['usage: foreact <command> [options]', ...Object.values(COMMANDS).map((c) => `  foreact ${c.usage}`)].join('\n');
}

/** CLI entry: returns the exit code; usage and input problems are one clear message, not a stack trace. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usageText()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    process.stderr.write(`foreact: unknown command "${name}"\n${usageText()}\n`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`foreact ${name}: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
