import { describe, expect, it } from 'vitest';
import { logCommand } from '../../src/app/service-logs.js';

describe('service logs: where the lines come from', () => {
  const spec = { unit_name: 'prometheus.service', log_file: '/var/log/promanager/prometheus.log' };
  it("reads the unit's journal where systemd runs the service", () => {
    expect(logCommand({ ...spec, manager: 'systemd' }, 100, true, true)).toEqual({ argv: ['journalctl', '-u', 'prometheus.service', '-n', '100', '--no-pager', '-o', 'short-iso', '-f'], source: 'journalctl -u prometheus.service' });
  });
  it("reads the supervisor's log otherwise, following it across rotation", () => {
    expect(logCommand({ ...spec, manager: 'supervisor' }, 20, false, true).argv).toEqual(['tail', '-n', '20', '--', '/var/log/promanager/prometheus.log']);
    expect(logCommand({ ...spec, manager: 'supervisor' }, 0, true, false).argv).toEqual(['tail', '-n', '0', '-F', '--', '/var/log/promanager/prometheus.log']);
    // a unit written on a host where systemd does not run never ran: its journal is empty
    expect(logCommand({ ...spec, manager: 'systemd' }, 5, false, false).source).toBe('/var/log/promanager/prometheus.log');
  });
});
