// Agent methods for configuration pushes. Registered in handlers.ts.
import type { Handler } from './handlers.js';

export const configHandlers: Record<string, Handler> = {};
