import type { Bus } from '@orrery/bus';
import type { Clock } from '@orrery/core';
import type { ActorRefFrom } from 'xstate';
import type { BatchMember } from '../batching/batch-window.ts';
import type { SolarSystemConfig } from '../config.ts';
import type { ConsultDesk } from '../consult/desk.ts';
import type { CycleFault, CycleRecord } from '../cycle-record.ts';
import type { SupervisionEscalatedError } from '../errors.ts';
import type { SunTuning } from '../learning/sun-tuning.ts';
import type { LLMCaller } from '../llm-caller.ts';
import type { Moon, MoonFactory } from '../moons/moon.ts';
import type { Planet, PlanetRole } from '../planets/planet.ts';
import type { PortfolioBook } from '../portfolio/portfolio-book.ts';
import type { Routing } from '../routing.ts';
import type { EdgeCalibrator } from '../sizing.ts';
import type { SupervisionVerdict, Supervisor } from '../supervision.ts';
import type { PlanetEvent, planetActor } from './actors.ts';
import type { CycleInput, CycleWork } from './cycle-work.ts';
import type { SunMemory } from './memory.ts';
import type { SensedCycle } from './sense-cycle.ts';
import type { SunThoughts } from './thoughts.ts';

/** A moon or planet factory with the name of what it builds. */
export interface Named<F> {
  name: string;
  create: F;
}

/** What every symbol's sun shares: configuration and services. */
export interface SunDeps {
  symbol: string;
  config: SolarSystemConfig;
  gateway: LLMCaller | null;
  memory: SunMemory | null;
  /**
   * The medium: consults go to `planet.<name>` as directives answered by reports, moons publish their
   * readings and critical updates to the sun, decisions are broadcast.
   */
  bus: Bus;
  /** Consults in flight (what a directive cannot carry in this process: permits, abort signals). */
  desk: ConsultDesk;
  clock: Clock;
  moons: readonly Named<MoonFactory>[];
  planets: readonly Named<() => Planet>[];
  log: (msg: string) => void;
  /** Learned planet weights and regime playbook, read at every cycle (null: the configured ones). */
  tuning: SunTuning | null;
  /** Each planet's job, by name (only `forecast` planets vote). */
  roles: Readonly<Record<string, PlanetRole>>;
  /** Who is consulted in reasoning cycles (null: every planet). */
  routing: Routing | null;
  /** This symbol's cached market summary and fragility card, read in FULL_AGENT (absent: none). */
  thoughts?: SunThoughts | null | undefined;
  /** The orchestrator's view of the whole portfolio, briefed to the sun in FULL_AGENT (absent: none). */
  book?: PortfolioBook | null | undefined;
}

/** A planet child actor. */
export type PlanetRef = ActorRefFrom<typeof planetActor>;

/**
 * One moon of the sun: its factory and current calculator (null once stopped by supervision). Moons are
 * fed in the sun's own transition (plain calls, no actor messages) and supervised like its children.
 */
export interface MoonSlot {
  name: string;
  create: MoonFactory;
  moon: Moon | null;
  /** Bumped on every supervised restart. */
  gen: number;
}

/** One planet child: its factory, instance and current actor (null once stopped). */
export interface PlanetSlot {
  name: string;
  create: () => Planet;
  planet: Planet | null;
  ref: PlanetRef | null;
  gen: number;
}

/** The sun machine's context. */
export interface SunContext {
  deps: SunDeps;
  supervisor: Supervisor;
  moons: MoonSlot[];
  planets: PlanetSlot[];
  /** The stop of the open position (price units), if any. */
  stopPrice: number | undefined;
  /** Bars seen by this sun, the current one included. */
  barsSeen: number;
  /**
   * The sun's last adjustment of the planets' forecast (its forecast − theirs), held by the cycles that
   * follow until the sun reasons again; 0 when it never did or its last attempt failed.
   */
  tilt: number;
  /** How well this symbol's past forecasts predicted the next bar (for Kelly sizing). */
  edge: EdgeCalibrator;
  work: CycleWork | null;
  /** Faults raised between cycles, reported with the next one. */
  faults: CycleFault[];
  escalation: SupervisionEscalatedError | null;
}

/** Events the sun machine handles. */
export type SunEvent =
  | { type: 'CYCLE'; id: number; input: CycleInput; batch?: BatchMember | null }
  /** A CYCLE the solar system sensed itself on the idle sun, to apply (see `senseCycle`). */
  | { type: 'CYCLE.SENSED'; sensed: SensedCycle }
  /** An unscheduled cycle, if the moons' peek at a bar still forming (read at `asOf`) is critical. */
  | { type: 'WAKE'; id: number; input: CycleInput; asOf: number }
  | { type: 'ESCALATE'; error: SupervisionEscalatedError }
  | PlanetEvent
  | { type: 'PLANET.VERDICT'; planet: string; verdict: SupervisionVerdict; error: unknown }
  | { type: 'SENSED' }
  | { type: 'MOON.FAILED'; moon: string; gen: number; error: unknown }
  | { type: `xstate.error.actor.${string}`; error: unknown };

/** What a sun emits: each cycle's record, or why the cycle could not run. */
export type SunEmitted =
  | { type: 'cycle.done'; id: number; record: CycleRecord }
  /** A `WAKE` whose peek raised nothing critical: no cycle ran, nothing changed. */
  | { type: 'cycle.quiet'; id: number }
  | { type: 'cycle.failed'; id: number; error: Error };

/** Child actor ids carry a generation, bumped on every restart. */
export const planetId = (name: string, gen: number) => `planet:${name}#${gen}`;
/** `planet:technical#2` → `planet:technical`. */
export const childName = (id: string) => id.replace(/#\d+$/, '');
