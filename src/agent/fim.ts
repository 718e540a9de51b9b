// Agent methods for fim. Registered in handlers.ts.
import type { Handler } from './handlers.js';

export const fimHandlers: Record<string, Handler> = {};

/** Modes run as `node agent.cjs <mode> [args]` (from cron or as a service supervisor), not over the protocol. */
export const fimModes: Record<string, (args: string[]) => Promise<number>> = {};
