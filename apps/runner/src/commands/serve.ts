import { type Command, InvalidArgumentError } from 'commander';
import {
  DEFAULT_BODY_LIMIT,
  DEFAULT_MAX_CONCURRENT,
  SERVE_LOG_LEVELS,
  type ServeLogLevel,
} from '../serve/serve-defaults.ts';
import type { CliIO } from './io.ts';

/** `orrery serve`'s flags, as commander parses them. */
export interface ServeFlags {
  host: string;
  port: number;
  config?: string;
  tokenEnv: string;
  gatewayDb?: string;
  maxConcurrent: number;
  bodyLimit: number;
  logLevel: ServeLogLevel;
  requireKey?: boolean;
  allowHost: string[];
}

/** Parses an integer flag in [min, max] for commander. */
export function intFlag(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER
          ? `must be an integer >= ${min}`
          : `must be an integer from ${min} to ${max}`,
      );
    return n;
  };
}

/** Registers `orrery serve`: the gateway and the planets over HTTP. */
export function registerServeCommand(program: Command, io: CliIO): void {
  program
    .command('serve')
    .description(
      'serve the LLM gateway and the planets over HTTP: POST /execute, /chains, /planets/:name/analyze, the OpenAI-compatible /v1/chat/completions and /v1/models, the Anthropic-compatible /v1/messages, GET /healthz, /metrics',
    )
    .option('--host <host>', 'interface to bind; anything but loopback requires a bearer token', '127.0.0.1')
    .option('--port <port>', 'TCP port (0: any free port)', intFlag(0, 65535), 9999)
    .option('-c, --config <file>', 'YAML configuration (default: ./orrery.yaml when present)')
    .option('--token-env <name>', 'environment variable holding the bearer token', 'ORRERY_TOKEN')
    .option('--gateway-db <file>', 'gateway SQLite file (default: run.gatewayDbPath; :memory: for none)')
    .option(
      '--max-concurrent <n>',
      'execute/analyze requests served at once; more get 429',
      intFlag(1),
      DEFAULT_MAX_CONCURRENT,
    )
    .option('--body-limit <bytes>', 'largest request body; larger get 413', intFlag(1), DEFAULT_BODY_LIMIT)
    .option('--log-level <level>', `JSON log on stderr: ${SERVE_LOG_LEVELS.join(' | ')}`, 'info')
    .option('--require-key', 'the /v1 routes need a virtual key (orrery keys create), even without a token')
    .option(
      '--allow-host <name>',
      'without a token, also answer requests whose Host/Origin is this name (repeatable); default: localhost, 127.0.0.0/8, ::1',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .action(async (flags: ServeFlags, cmd: Command) => {
      await (await import('./actions/serve.ts')).serve(flags, cmd, io);
    });
}
