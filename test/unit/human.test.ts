import { describe, expect, it } from 'vitest';
import { humanBytes, humanSeconds } from '../../src/cli/human.js';
import { asksForVersion } from '../../src/cli/version.js';

describe('numbers for a person', () => {
  it('shows sizes with binary units', () => {
    expect([humanBytes(0), humanBytes(1023), humanBytes(1536), humanBytes(22 * 1024 ** 2), humanBytes(3 * 1024 ** 4)]).toEqual(['0 B', '1023 B', '1.5 KiB', '22.0 MiB', '3.0 TiB']);
  });
  it('shows durations in the two largest units', () => {
    expect([0, 45, 60, 725, 3600, 11_520, 86_400 + 4 * 3600 + 59].map(humanSeconds)).toEqual(['0s', '45s', '1m', '12m 5s', '1h', '3h 12m', '1d 4h']);
  });
});

describe('--version', () => {
  it('is the version only before any command word (service install --version 2.53.1 names a component version)', () => {
    expect(asksForVersion(['--version'])).toBe(true);
    expect(asksForVersion(['-V'])).toBe(true);
    expect(asksForVersion(['service', 'install', 'prometheus', '--version', '2.53.1'])).toBe(false);
    expect(asksForVersion([])).toBe(false);
  });
});
