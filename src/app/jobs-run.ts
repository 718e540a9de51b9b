// `job run <name>`: the job's current version on its hosts now. The script goes to each host once (by hash),
// runs there under its timeout in its own process group, its output streams back live and is kept per host
// per run (capped), and every host's run is recorded, including the hosts it never reached.
import { keptOutput, type JobRunResult, type OutputEvent } from '../agent/jobs-protocol.js';
import type { FanoutEvent } from '../remote/fanout.js';
import type { Job } from '../store/schema.js';
import type { Context } from './context.js';
import type { HostView } from './fleet-view.js';
import { OutputFile, outputPath, readScript } from './jobs-files.js';
import { appendRuns, type NewRun } from './jobs-records.js';
import { auditedAttempt, stageScript, stateHost, withDeadlineOwnedByJob } from './jobs-remote.js';
import { jobSpec, runFailure } from './jobs-spec.js';
import { findJob, narrowedTargets, type CliTargets } from './jobs-targets.js';
import { runRemote, type RemoteRun } from './remote-run.js';
import { textfileDirVar } from '../components/textfile-dir.js';

/** Connecting, starting the agent and uploading, on top of the job's own timeout. */
const DEADLINE_MARGIN_S = 60;

export interface HostJobRun extends JobRunResult {
  version: number;
  timeout_s: number;
  max_output_bytes: number;
  /** absolute path of the kept output, under $PROMANAGER_HOME/job-output/ */
  output_file: string;
  /** the output as kept (capped) */
  output: string;
  script_uploaded: boolean;
}

export interface JobRunHooks {
  onOutput?(host: HostView, event: OutputEvent): void;
  onEvent?(event: FanoutEvent<HostJobRun>, host: HostView): void;
}

export interface JobRunOutcome {
  job: Job;
  timeout_s: number;
  run: RemoteRun<HostJobRun>;
}

export async function runJob(ctx: Context, name: string, cli: CliTargets, hooks: JobRunHooks = {}): Promise<JobRunOutcome> {
  return auditedAttempt(ctx, [], async () => {
    const state = await ctx.store.read();
    const job = findJob(state, name);
    // --timeout on `job run` overrides the job's timeout for this run.
    const timeoutS = ctx.globals.timeout ?? job.timeout_s;
    const spec = jobSpec(job, { timeout_s: timeoutS });
    const script = await readScript(ctx.store.home, job.script_sha256, job.job_name);
    const home = ctx.store.home;
    /** output files by host id, so a host that failed half way still has what it printed */
    const files = new Map<number, string>();

    const run = await runRemote<HostJobRun>(withDeadlineOwnedByJob(ctx), {
      permission: 'operate',
      targets: narrowedTargets(state, job, cli),
      mutating: true,
      defaultTimeoutS: timeoutS + DEADLINE_MARGIN_S,
      work: async (session, host) => {
        const agent = await session.agent();
        const uploaded = await stageScript(agent, job.script_sha256, script);
        const file = await OutputFile.create(home, job.job_name, host.name, ctx.now());
        files.set(host.id, file.name);
        let head = '';
        try {
          const result = await agent.call<JobRunResult>('job_run', { spec, textfile_dir: textfileDirVar(host.vars, host.name) }, (event, data) => {
            if (event !== 'output') return;
            const output = data as OutputEvent;
            head += output.text;
            file.append(output.text);
            hooks.onOutput?.(host, output);
          });
          const output = keptOutput({ ...result, head });
          file.append(output.slice(head.length));
          return { ...result, version: job.version, timeout_s: timeoutS, max_output_bytes: job.max_output_bytes, output_file: outputPath(home, file.name), output, script_uploaded: uploaded };
        } finally {
          await file.close();
        }
      },
      judge: (r) => runFailure(r, timeoutS),
      onEvent: hooks.onEvent,
      persist: (fresh, outcomes, now) => {
        const current = fresh.jobs.find((j) => j.id === job.id);
        if (!current) return; // removed while it ran: nothing to attach the runs to
        const rows: NewRun[] = [];
        for (const o of outcomes) {
          const host = stateHost(fresh, o.host);
          if (!host) continue;
          const r = o.result;
          rows.push({
            job_id: job.id, job_version: job.version, host_id: host.id, source: 'run',
            started_at: r?.started_at ?? now, ended_at: r?.ended_at ?? null,
            exit_code: r?.exit_code ?? null, signal: r?.signal ?? null, timed_out: r?.timed_out ?? false,
            error: r ? null : (o.error?.message ?? 'no result'), host_record_id: null,
            output_file: files.get(o.host.id) ?? null, output_bytes: r?.output_bytes ?? 0, truncated: r?.truncated ?? false,
          });
        }
        appendRuns(fresh, home, rows, now);
      },
    });
    return { job, timeout_s: timeoutS, run };
  });
}
