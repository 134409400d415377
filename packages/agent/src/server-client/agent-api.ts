import type {
  CommandResultRequest,
  HeartbeatRequest,
  InstanceLaunchedRequest,
  InstanceTerminatedRequest,
  JoinRequest,
  PricingReportRequest,
  RebalanceNoticeRequest,
  RegisterRequest,
  TerminationNoticeRequest,
} from '@spot/contract';
import {
  CommandResultResponse,
  ConfirmationResponse,
  HeartbeatResponse,
  JoinResponse,
  NoticeResponse,
  PendingCommandsResponse,
  PricingReportResponse,
  RegisterResponse,
} from '@spot/contract';
import type { z } from 'zod';
import { HttpClient } from './http.ts';

/**
 * The server's agent API (docs/api.md), typed and validated with the contract's schemas.
 * Reports that must not be lost (results, confirmations, notices, prices) are not sent from
 * here directly but through the outbox, which calls `post` with its entry id as the
 * Idempotency-Key.
 */
export class AgentApi {
  private readonly http: HttpClient;
  private agentId = '';
  private agentToken = '';

  constructor(baseUrl: string, fetchFn?: typeof fetch) {
    this.http = new HttpClient(baseUrl, fetchFn);
  }

  setIdentity(agentId: string, agentToken: string): void {
    this.agentId = agentId;
    this.agentToken = agentToken;
  }

  /** Joins the workload of the instance we run on with the one-time token from the user data. */
  join(body: JoinRequest, signal?: AbortSignal) {
    return this.http.request('POST', '/api/agents/join', JoinResponse, { body, signal });
  }

  register(clientToken: string, body: RegisterRequest, signal?: AbortSignal) {
    return this.http.request('POST', '/api/agents/register', RegisterResponse, {
      token: clientToken,
      body,
      signal,
    });
  }

  heartbeat(body: HeartbeatRequest, signal?: AbortSignal) {
    return this.http.request('POST', this.path('heartbeat'), HeartbeatResponse, this.opts(body, signal));
  }

  pendingCommands(waitSeconds: number, signal?: AbortSignal) {
    return this.http.request(
      'GET',
      `${this.path('pending-commands')}?wait=${waitSeconds}&limit=10`,
      PendingCommandsResponse,
      { token: this.agentToken, signal, timeoutMs: (waitSeconds + 15) * 1000 },
    );
  }

  /** Any reporting POST by its outbox kind, with the entry id as the Idempotency-Key. */
  post(report: Report, idempotencyKey: string, signal?: AbortSignal) {
    const { path, schema } = routeOf(report);
    return this.http.request('POST', this.path(path), schema, {
      token: this.agentToken,
      body: report.body,
      idempotencyKey,
      signal,
    });
  }

  private path(suffix: string): string {
    return `/api/agents/${encodeURIComponent(this.agentId)}/${suffix}`;
  }

  private opts(body: unknown, signal?: AbortSignal) {
    return { token: this.agentToken, body, signal };
  }
}

/** Everything the agent reports durably, by kind. */
export type Report =
  | { kind: 'command-result'; commandId: string; body: CommandResultRequest }
  | { kind: 'instance-launched'; body: InstanceLaunchedRequest }
  | { kind: 'instance-terminated'; body: InstanceTerminatedRequest }
  | { kind: 'termination-notice'; body: TerminationNoticeRequest }
  | { kind: 'rebalance-notice'; body: RebalanceNoticeRequest }
  | { kind: 'pricing-report'; body: PricingReportRequest };

export type ReportKind = Report['kind'];

function routeOf(r: Report): { path: string; schema: z.ZodType } {
  switch (r.kind) {
    case 'command-result':
      return { path: `commands/${encodeURIComponent(r.commandId)}/result`, schema: CommandResultResponse };
    case 'instance-launched':
      return { path: 'instance-launched', schema: ConfirmationResponse };
    case 'instance-terminated':
      return { path: 'instance-terminated', schema: ConfirmationResponse };
    case 'termination-notice':
      return { path: 'termination-notice', schema: NoticeResponse };
    case 'rebalance-notice':
      return { path: 'rebalance-notice', schema: NoticeResponse };
    case 'pricing-report':
      return { path: 'pricing-report', schema: PricingReportResponse };
  }
}
