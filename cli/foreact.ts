import { UsageError } from './args.js';
import { adminCommand, ADMIN_USAGE } from './commands/admin.js';
import { backtestCommand } from './commands/backtest.js';
import { forecastCommand } from './commands/forecast.js';

type Command = (argv: readonly string[]) => Promise<number>;

const COMMANDS: Record<string, { run: Command; usage: string }> = {
  admin: { run: (argv) => adminCommand(argv), usage: ADMIN_USAGE },
  forecast: { run: forecastCommand, usage: 'forecast --input history.csv[.gz] [--drivers drivers.csv[.gz] ...] --horizon 90 --output forecasts.csv [--folds 3]' },
  backtest: { run: backtestCommand, usage: 'backtest --input history.csv[.gz] [--drivers drivers.csv[.gz] ...] --horizon 90 [--folds 3] [--json]' },
  ingest: { run: async (argv) => (await import('./commands/ingest.js')).ingestCommand(argv), usage: 'ingest --input sales.csv[.gz] | --drivers drivers.csv[.gz] [--name <upload name>]   (into FOREACT_STORAGE, default local Azurite)' },
};

function usage(): string {
  return ['usage: foreact <command> [options]', ...Object.values(COMMANDS).map((c) => `  foreact ${c.usage}`)].join('\n');
}

/** CLI entry: returns the exit code; usage and input problems are one clear message, not a stack trace. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(`foreact: unknown command "${name}"\n${usage()}\n`);
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
