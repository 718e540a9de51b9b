// Cron expressions: the syntax Debian's cron accepts (and only that), and the next run times users see before
// anything is installed.
import { describe, expect, it } from 'vitest';
import { nextRuns, parseCron } from '../../src/core/cron.js';
import { ExitCode, UsageError } from '../../src/core/errors.js';

/** Local wall-clock time, as cron on the host sees it. */
const at = (y: number, mo: number, d: number, h = 0, mi = 0) => new Date(y, mo - 1, d, h, mi);
const fmt = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')} ${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
const next = (expr: string, from: Date, n = 3) => nextRuns(parseCron(expr), from, n).map(fmt);

function usageMessage(expr: string): string {
  try {
    parseCron(expr);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(ExitCode.usage);
    return (err as Error).message;
  }
  throw new Error(`'${expr}' was accepted`);
}

describe('parseCron', () => {
  it('expands lists, ranges, steps and names into sorted values', () => {
    const s = parseCron('*/15 9-17/4 1,15 jan-mar,DEC mon-fri');
    expect(s.minutes).toEqual([0, 15, 30, 45]);
    expect(s.hours).toEqual([9, 13, 17]);
    expect(s.daysOfMonth).toEqual([1, 15]);
    expect(s.months).toEqual([1, 2, 3, 12]);
    expect(s.daysOfWeek).toEqual([1, 2, 3, 4, 5]);
    expect(s.domRestricted && s.dowRestricted).toBe(true);
  });

  it('folds day 7 into Sunday and de-duplicates', () => {
    expect(parseCron('0 0 * * 5-7,0,sun').daysOfWeek).toEqual([0, 5, 6]);
  });

  it('treats a day field starting with * as unrestricted, as Vixie cron does (even */2)', () => {
    const s = parseCron('0 0 */2 * mon');
    expect(s.domRestricted).toBe(false);
    expect(s.dowRestricted).toBe(true);
  });

  it('knows the @nicknames and keeps the expression as written', () => {
    expect(parseCron('@hourly')).toMatchObject({ expression: '@hourly', minutes: [0], hours: Array.from({ length: 24 }, (_, i) => i) });
    expect(parseCron('@daily')).toMatchObject({ minutes: [0], hours: [0] });
    expect(parseCron('@midnight').hours).toEqual([0]);
    expect(parseCron('@weekly').daysOfWeek).toEqual([0]);
    expect(parseCron('@monthly').daysOfMonth).toEqual([1]);
    expect(parseCron('@yearly')).toMatchObject({ months: [1], daysOfMonth: [1] });
    expect(parseCron('@annually').months).toEqual([1]);
  });

  it('names the field and the bad part of an invalid expression (exit 2)', () => {
    expect(usageMessage('61 * * * *')).toMatch(/minute: '61' is out of range 0-59/);
    expect(usageMessage('* 24 * * *')).toMatch(/hour: '24' is out of range 0-23/);
    expect(usageMessage('* * 0 * *')).toMatch(/day-of-month: '0' is out of range 1-31/);
    expect(usageMessage('* * * 13 *')).toMatch(/month: '13'/);
    expect(usageMessage('* * * * 8')).toMatch(/day-of-week: '8'/);
    expect(usageMessage('* * * foo *')).toMatch(/month: 'foo' in 'foo' is not a number 1-12 \(or a name: jan/);
    expect(usageMessage('*/0 * * * *')).toMatch(/minute: step '0'/);
    expect(usageMessage('5/10 * * * *')).toMatch(/minute: '5\/10' has a step without a range/);
    expect(usageMessage('10-5 * * * *')).toMatch(/minute: range '10-5' runs backwards/);
    expect(usageMessage('1,,2 * * * *')).toMatch(/minute: empty item/);
    expect(usageMessage('? * * * *')).toMatch(/minute: '\?'/);
    expect(usageMessage('* * * *')).toMatch(/it has 4 fields, cron needs 5/);
    expect(usageMessage('0 * * * * *')).toMatch(/it has 6 fields/);
    expect(usageMessage('')).toMatch(/it is empty/);
    expect(usageMessage('@reboot')).toMatch(/@reboot/);
    expect(usageMessage('@fortnightly')).toMatch(/'@fortnightly' is not a schedule/);
    expect(usageMessage('* * * *\n*')).toMatch(/more than one line/);
  });

  it('refuses a day of month that never comes in the months given', () => {
    expect(usageMessage('0 0 30,31 feb *')).toMatch(/day-of-month '30,31' never occurs in month 'feb'/);
    // with a restricted day of week it still runs (cron's OR rule), and Feb 29 exists in leap years
    expect(() => parseCron('0 0 30 2 mon')).not.toThrow();
    expect(() => parseCron('0 0 29 2 *')).not.toThrow();
  });
});

describe('nextRuns', () => {
  it('starts strictly after the given time, on minute boundaries', () => {
    expect(next('* * * * *', at(2024, 1, 15, 10, 30), 2)).toEqual(['2024-01-15 10:31', '2024-01-15 10:32']);
    expect(next('* * * * *', new Date(2024, 0, 15, 10, 30, 59, 999), 1)).toEqual(['2024-01-15 10:31']);
    expect(next('*/15 * * * *', at(2024, 1, 15, 10, 44))).toEqual(['2024-01-15 10:45', '2024-01-15 11:00', '2024-01-15 11:15']);
  });

  it('rolls over hours, days, months and years', () => {
    expect(next('30 2 * * *', at(2024, 12, 31, 3, 0), 2)).toEqual(['2025-01-01 02:30', '2025-01-02 02:30']);
    expect(next('@monthly', at(2024, 1, 31, 12))).toEqual(['2024-02-01 00:00', '2024-03-01 00:00', '2024-04-01 00:00']);
    expect(next('@yearly', at(2024, 6, 1), 2)).toEqual(['2025-01-01 00:00', '2026-01-01 00:00']);
  });

  it('uses day-of-month OR day-of-week when both are restricted, AND otherwise', () => {
    // 2024-01-15 is a Monday: the 1st of Feb (a Thursday) or any Friday
    expect(next('0 9 1 * fri', at(2024, 1, 15), 3)).toEqual(['2024-01-19 09:00', '2024-01-26 09:00', '2024-02-01 09:00']);
    // '*/2' starts with '*', so the AND rule applies (Vixie cron): Mondays that fall on odd dates, not the OR
    expect(next('0 9 */2 * mon', at(2024, 1, 15, 10), 2)).toEqual(['2024-01-29 09:00', '2024-02-05 09:00']);
    expect(next('0 0 * * sun', at(2024, 1, 15), 1)).toEqual(['2024-01-21 00:00']);
  });

  it('finds Feb 29 in the next leap year', () => {
    expect(next('0 0 29 2 *', at(2024, 3, 1), 1)).toEqual(['2028-02-29 00:00']);
  });

  it('gives back fewer than asked instead of looping forever', () => {
    // April 31 never exists: parseCron refuses it alone, and with a day of week only the Mondays of April run
    expect(usageMessage('0 0 31 4 *')).toMatch(/never occurs/);
    expect(next('0 0 31 4 mon', at(2024, 1, 1), 2)).toEqual(['2024-04-01 00:00', '2024-04-08 00:00']);
    const s = { ...parseCron('0 0 1 1 *'), daysOfMonth: [31], months: [4] };
    expect(nextRuns(s, at(2024, 1, 1), 3)).toEqual([]);
  });
});
