// Cron expressions, checked on the controller before anything is installed on a host. The accepted syntax is
// what Debian's cron (Vixie cron) accepts, no more: a line this parser passes must be one the host's cron
// runs, so extensions of other crons (`?`, `L`, `W`, `#`, seconds, `5/10` without a range) are refused here
// rather than silently ignored there. Pure: no clock, no I/O.
import { UsageError } from './errors.js';

export interface CronSchedule {
  expression: string;
  minutes: number[];
  hours: number[];
  daysOfMonth: number[];
  months: number[];
  /** 0 = Sunday .. 6 = Saturday (7 in the expression is folded into 0) */
  daysOfWeek: number[];
  /** the day-of-month field does not start with '*' (see dayMatches) */
  domRestricted: boolean;
  dowRestricted: boolean;
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** first value of `names` (jan = 1, sun = 0) */
  namesFrom?: number;
}

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] as const;
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES, namesFrom: 1 },
  { name: 'day-of-week', min: 0, max: 7, names: DAY_NAMES, namesFrom: 0 },
];

const NICKNAMES: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** The longest day-of-month each month can have (February counts its leap day). */
const MONTH_LENGTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function fail(expr: string, detail: string, hint?: string): never {
  throw new UsageError(`invalid cron expression '${expr}': ${detail}`,
    hint ?? "five fields: minute hour day-of-month month day-of-week, e.g. '*/15 * * * *' or '30 2 * * mon-fri'");
}

function parseValue(expr: string, field: FieldSpec, text: string, item: string): number {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    if (value < field.min || value > field.max) fail(expr, `${field.name}: '${item}' is out of range ${field.min}-${field.max}`);
    return value;
  }
  const index = field.names?.indexOf(text.toLowerCase()) ?? -1;
  if (index < 0) {
    const known = field.names ? ` (or a name: ${field.names.join(' ')})` : '';
    fail(expr, `${field.name}: '${text}' in '${item}' is not a number ${field.min}-${field.max}${known}`);
  }
  return index + (field.namesFrom ?? 0);
}

/** One comma-separated item: `*`, `*\/s`, `a`, `a-b`, `a-b/s`. */
function parseItem(expr: string, field: FieldSpec, item: string): number[] {
  const [rangeText = '', stepText, extra] = item.split('/');
  if (extra !== undefined || rangeText === '') fail(expr, `${field.name}: '${item}' is malformed`);
  let step = 1;
  if (stepText !== undefined) {
    if (!/^\d+$/.test(stepText) || Number(stepText) === 0) fail(expr, `${field.name}: step '${stepText}' in '${item}' must be a whole number above 0`);
    step = Number(stepText);
  }
  let low: number;
  let high: number;
  if (rangeText === '*') {
    [low, high] = [field.min, field.max];
  } else {
    const bounds = rangeText.split('-');
    if (bounds.length > 2 || bounds.some((b) => b === '')) fail(expr, `${field.name}: '${item}' is malformed`);
    low = parseValue(expr, field, bounds[0]!, item);
    if (bounds.length === 1) {
      // Vixie cron reads `5/10` as an error, not as `5-59/10`: refuse it here too.
      if (stepText !== undefined) fail(expr, `${field.name}: '${item}' has a step without a range`, `write the range out: '${bounds[0]}-${field.max}/${stepText}'`);
      return [low];
    }
    high = parseValue(expr, field, bounds[1]!, item);
    if (low > high) fail(expr, `${field.name}: range '${rangeText}' runs backwards`, `ranges go from low to high; for a range across the end write two: '${bounds[0]}-${field.max},${field.min}-${bounds[1]}'`);
  }
  const values: number[] = [];
  for (let v = low; v <= high; v += step) values.push(v);
  return values;
}

function parseField(expr: string, field: FieldSpec, text: string): number[] {
  const set = new Set<number>();
  for (const item of text.split(',')) {
    if (item === '') fail(expr, `${field.name}: empty item in '${text}'`);
    for (const v of parseItem(expr, field, item)) set.add(field.name === 'day-of-week' && v === 7 ? 0 : v);
  }
  return [...set].sort((a, b) => a - b);
}

export function parseCron(expr: string): CronSchedule {
  const expression = expr.trim();
  if (expression === '') fail(expr, 'it is empty');
  if (/[\n\r]/.test(expression)) fail(expr, 'it spans more than one line');
  let fieldsText = expression;
  if (expression.startsWith('@')) {
    const nick = NICKNAMES[expression.toLowerCase()];
    if (!nick) {
      const hint = expression.toLowerCase() === '@reboot' ? 'promanager jobs run on a clock; @reboot is not supported' : `known: ${Object.keys(NICKNAMES).join(' ')}`;
      fail(expr, `'${expression}' is not a schedule cron knows here`, hint);
    }
    fieldsText = nick;
  }
  const parts = fieldsText.split(/\s+/);
  if (parts.length !== FIELDS.length) fail(expr, `it has ${parts.length} field${parts.length === 1 ? '' : 's'}, cron needs 5`);
  const [minutes, hours, daysOfMonth, months, daysOfWeek] = FIELDS.map((f, i) => parseField(expr, f, parts[i]!)) as [number[], number[], number[], number[], number[]];
  // Vixie cron decides the day rule on the first character: `*/2` still counts as "every day" (a known quirk
  // that the hosts have, so the preview must have it too).
  const schedule: CronSchedule = {
    expression, minutes, hours, daysOfMonth, months, daysOfWeek,
    domRestricted: !parts[2]!.startsWith('*'),
    dowRestricted: !parts[4]!.startsWith('*'),
  };
  if (schedule.domRestricted && !schedule.dowRestricted) {
    const reachable = months.some((m) => daysOfMonth.some((d) => d <= MONTH_LENGTH[m - 1]!));
    if (!reachable) fail(expr, `day-of-month '${parts[2]}' never occurs in month '${parts[3]}', so it would never run`);
  }
  return schedule;
}

/** Cron's day rule: when both day fields are restricted, either may match; otherwise both must. */
function dayMatches(s: CronSchedule, date: Date): boolean {
  const dom = s.daysOfMonth.includes(date.getDate());
  const dow = s.daysOfWeek.includes(date.getDay());
  return s.domRestricted && s.dowRestricted ? dom || dow : dom && dow;
}

/**
 * The next `count` times the schedule fires strictly after `from`, in the local time zone (the host's cron
 * uses its own zone; callers say so when they show these). Skips whole months, days and hours that cannot
 * match, so a yearly schedule costs a few hundred steps, and gives up after ten years of no match.
 */
export function nextRuns(schedule: CronSchedule, from: Date, count: number): Date[] {
  const runs: Date[] = [];
  const t = new Date(from.getTime());
  t.setSeconds(0, 0);
  t.setMinutes(t.getMinutes() + 1);
  const giveUpAt = from.getTime() + 10 * 366 * 24 * 3600 * 1000;
  while (runs.length < count && t.getTime() <= giveUpAt) {
    if (!schedule.months.includes(t.getMonth() + 1)) {
      t.setMonth(t.getMonth() + 1, 1);
      t.setHours(0, 0, 0, 0);
    } else if (!dayMatches(schedule, t)) {
      t.setDate(t.getDate() + 1);
      t.setHours(0, 0, 0, 0);
    } else if (!schedule.hours.includes(t.getHours())) {
      t.setHours(t.getHours() + 1, 0, 0, 0);
    } else if (!schedule.minutes.includes(t.getMinutes())) {
      t.setMinutes(t.getMinutes() + 1, 0, 0);
    } else {
      runs.push(new Date(t.getTime()));
      t.setMinutes(t.getMinutes() + 1, 0, 0);
    }
  }
  return runs;
}
