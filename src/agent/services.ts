// Agent methods for services. Registered in handlers.ts.
import type { Handler } from './handlers.js';

export const serviceHandlers: Record<string, Handler> = {};

/** Modes run as `node agent.cjs <mode> [args]` (from cron or as a service supervisor), not over the protocol. */
export const serviceModes: Record<string, (args: string[]) => Promise<number>> = {};
