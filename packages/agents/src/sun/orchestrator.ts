import type { Bus, Message } from '@orrery/bus';
import { assign, fromCallback, setup, spawnChild } from 'xstate';
import { PortfolioBook } from '../portfolio/portfolio-book.ts';
import type { SunDeps } from './context.ts';
import { sunMachine } from './machine.ts';
import type { SunThoughts } from './thoughts.ts';

/** What the orchestrator is made with: everything a symbol's sun needs but its symbol and notes. */
export type OrchestratorInput = Omit<SunDeps, 'symbol' | 'thoughts' | 'book'>;

/** The orchestrator's state. */
export interface OrchestratorContext {
  deps: OrchestratorInput;
  /** What it sees across symbols (readings heard on the bus, correlations, the step's limits). */
  book: PortfolioBook;
  /** Children that failed for good, by actor id (`sun:<symbol>`), with the error. */
  failed: Record<string, string>;
}

/** What the orchestrator is told. */
export type OrchestratorEvent =
  | { type: 'OPEN'; symbol: string; thoughts: SunThoughts }
  | { type: 'READING'; message: Message };

/** The actor id of `symbol`'s sun among the orchestrator's children. */
export const symbolSunId = (symbol: string): string => `sun:${symbol}`;

/**
 * The sun's mailbox on the bus: the moons' `moon.reading`s update the book the orchestrator sees every
 * symbol through. (`moon.critical`s are acted on in the cycle that sensed them, or — between bar closes —
 * by the unscheduled cycle whose peek raised them: see `SolarSystem.wake`.)
 */
const mailbox = fromCallback<OrchestratorEvent, { bus: Bus; book: PortfolioBook }>(({ input }) =>
  input.bus.subscribe(
    'sun',
    (m) => {
      if (m.type !== 'moon.reading') return;
      const p = m.payload;
      if (p.metric !== 'material-change' || p.features === undefined) return;
      input.book.see(p.symbol, { barTime: p.barTime ?? m.time, changed: p.value, features: p.features });
    },
    { broadcasts: false },
  ),
);

/**
 * The run's one sun: an XState actor that sees the whole portfolio — every symbol's readings as its moons
 * publish them, the positions and gross exposure of each step, the correlations between symbols — and
 * spawns and supervises one child machine per symbol ({@link sunMachine}, opened on the symbol's first
 * bar) that runs that symbol's cycles with the book in view. Stopping it stops every child; a child that
 * fails for good is recorded in `failed` and the others go on.
 */
export const orchestratorMachine = setup({
  types: {
    context: {} as OrchestratorContext,
    events: {} as OrchestratorEvent,
    input: {} as OrchestratorInput,
  },
  actors: { sun: sunMachine, mailbox },
}).createMachine({
  id: 'orchestrator',
  context: ({ input }) => ({ deps: input, book: new PortfolioBook(input.config.risk), failed: {} }),
  invoke: { src: 'mailbox', input: ({ context }) => ({ bus: context.deps.bus, book: context.book }) },
  on: {
    OPEN: {
      actions: spawnChild('sun', {
        id: ({ event }) => symbolSunId((event as Extract<OrchestratorEvent, { type: 'OPEN' }>).symbol),
        input: ({ context, event }) => {
          const e = event as Extract<OrchestratorEvent, { type: 'OPEN' }>;
          return { ...context.deps, symbol: e.symbol, thoughts: e.thoughts, book: context.book };
        },
      }),
    },
    'xstate.error.actor.*': {
      actions: assign({
        failed: ({ context, event }) => {
          const id = event.type.slice('xstate.error.actor.'.length);
          const error = (event as { error?: unknown }).error;
          return { ...context.failed, [id]: error instanceof Error ? error.message : String(error) };
        },
      }),
    },
  },
});
