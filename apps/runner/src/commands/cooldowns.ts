import type { Command } from 'commander';
import type { CliIO } from './io.ts';

/** `orrery cooldowns`'s flags, as commander parses them. */
export interface CooldownsFlags {
  clear?: string;
  json?: boolean;
  config?: string;
}

/**
 * Registers `orrery cooldowns`: lists the provider/model pairs the gateway does not call now — cooling
 * after a 429/529, circuit breaker open, provider disabled because its quota is exhausted — from the
 * gateway's SQLite file (`run.gatewayDbPath`, shared by every `orrery` process), and with
 * `--clear provider/model` (`provider/*`: the whole provider) clears one.
 */
export function registerCooldownsCommand(program: Command, io: CliIO): void {
  program
    .command('cooldowns')
    .description(
      'list the LLM provider/model pairs not called now (cooling down, circuit breaker open, provider disabled for exhausted quota); --clear provider/model clears one',
    )
    .option(
      '--clear <pair>',
      'clear the cooldown and breaker of provider/model (provider/* clears the provider)',
    )
    .option('--json', 'print the result as JSON')
    .option('-c, --config <file>', 'YAML configuration file (default: ./orrery.yaml when present)')
    .action(async (flags: CooldownsFlags) => {
      (await import('./actions/cooldowns.ts')).cooldowns(flags, io);
    });
}
