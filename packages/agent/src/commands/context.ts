import type { Ec2Port } from '../aws/ec2-adapter.ts';
import type { Report } from '../server-client/agent-api.ts';
import type { Journal } from '../state-store/journal.ts';
import type { Logger } from '../util/logger.ts';

/** What command executors need, handed in by the composition root (main.ts). */
export interface CommandContext {
  ec2: Ec2Port;
  /** Durable reports: resolves once the report is on disk. */
  report(report: Report): Promise<unknown>;
  journal: Journal;
  saveJournal(): Promise<void>;
  log: Logger;
  imageId: string;
  logicalId: string;
  /** Where the agents on instances we launch find the server (goes into their user data). */
  serverUrl: string;
  /** The EC2 instance this agent runs on (a promotion must be aimed at it). */
  ownCloudInstanceId: string;
  confirmPollMs: number;
  launchTimeoutMs: number;
  terminateTimeoutMs: number;
  now(): Date;
  signal?: AbortSignal;
}
