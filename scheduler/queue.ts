/**
 * The seam between "plan" (discover, decide, hybrid) and "scan": the planner sends one job per due
 * instance, scanners receive them. In one process this is an in-memory queue; the scale-out issue
 * puts SQS behind the same interface (one message per job, deduplicated per instance and pass).
 */
export interface ScanJob {
  passId: string;
  accountId: string;
  region: string;
  instanceId: string;
  method: 'ssm' | 'agentless';
  /** Hybrid fallback reason (agentless because the inventory was stale…). */
  methodReason?: string;
  /** SSM jobs: the CaptureTime seen when planning, and the platform DescribeInstanceInformation reported. */
  captureTime?: string;
  platform?: { platformType?: string; platformName?: string; platformVersion?: string };
  tags: Record<string, string>;
  /** How long past due, for ordering; larger first. */
  overdueMs: number;
}

export interface JobQueue {
  send(jobs: readonly ScanJob[]): Promise<void>;
  /** The next job, or undefined when the queue is drained (in-process) or stays empty. */
  receive(signal?: AbortSignal): Promise<ScanJob | undefined>;
  /** The job was handled (SQS: DeleteMessage). */
  ack(job: ScanJob): Promise<void>;
}

export class InProcessQueue implements JobQueue {
  private readonly jobs: ScanJob[] = [];
  async send(jobs: readonly ScanJob[]): Promise<void> {
    this.jobs.push(...jobs);
    this.jobs.sort((a, b) => b.overdueMs - a.overdueMs || (a.instanceId < b.instanceId ? -1 : 1));
  }
  async receive(signal?: AbortSignal): Promise<ScanJob | undefined> {
    if (signal?.aborted) return undefined;
    return this.jobs.shift();
  }
  async ack(_job: ScanJob): Promise<void> {}
  get size(): number {
    return this.jobs.length;
  }
}
