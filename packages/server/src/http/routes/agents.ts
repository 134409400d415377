import {
  AgentParams,
  CommandParams,
  CommandResultRequest,
  CommandResultResponse,
  ConfirmationResponse,
  ErrorBody,
  HeartbeatRequest,
  HeartbeatResponse,
  InstanceLaunchedRequest,
  InstanceTerminatedRequest,
  JoinRequest,
  JoinResponse,
  NoticeResponse,
  PendingCommandsQuery,
  PendingCommandsResponse,
  PricingReportRequest,
  PricingReportResponse,
  RebalanceNoticeRequest,
  RegisterRequest,
  RegisterResponse,
  TerminationNoticeRequest,
} from '@spot/contract';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { DomainError } from '../../domain/errors.ts';
import type { AgentService } from '../../services/agent-service.ts';
import type { CommandDelivery } from '../../services/command-delivery.ts';
import type { LifecycleService } from '../../services/lifecycle-service.ts';
import type { NoticeService } from '../../services/notice-service.ts';
import { requireAgent } from '../auth.ts';
import { typedSerializer } from '../typed-serializer.ts';

const errors = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  422: ErrorBody,
};

export interface AgentRouteDeps {
  agents: AgentService;
  lifecycle: LifecycleService;
  notices: NoticeService;
  delivery: CommandDelivery;
}

export const agentRoutes =
  ({ agents, lifecycle, notices, delivery }: AgentRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/api/agents/register',
      {
        schema: {
          tags: ['agent'],
          summary: 'Register an agent with its client token; same logical_id → same agent_id',
          body: RegisterRequest,
          response: { 200: RegisterResponse, ...errors },
        },
      },
      async (request) => {
        const p = request.principal;
        if (!p) throw new DomainError('UNAUTHORIZED', 'missing or invalid credentials');
        if (p.kind !== 'client') throw new DomainError('FORBIDDEN', 'registration takes a client token');
        return agents.register(p.clientId, request.body);
      },
    );

    app.post(
      '/api/agents/join',
      {
        schema: {
          tags: ['agent'],
          summary:
            'The agent on an instance the product launched joins its workload with the one-time token from the user data',
          body: JoinRequest,
          response: { 200: JoinResponse, ...errors },
        },
      },
      async (request) => agents.join(request.body),
    );

    app.post(
      '/api/agents/:agent_id/heartbeat',
      {
        ...typedSerializer,
        schema: {
          tags: ['agent'],
          summary: 'Agent heartbeat',
          params: AgentParams,
          body: HeartbeatRequest,
          response: { 200: HeartbeatResponse, ...errors },
        },
      },
      async (request) => {
        const { agentId } = requireAgent(request, request.params.agent_id);
        return agents.heartbeat(agentId, request.body);
      },
    );

    app.get(
      '/api/agents/:agent_id/pending-commands',
      {
        schema: {
          tags: ['agent'],
          summary: 'Long-poll for commands: answers at once when one is queued, else after `wait` seconds',
          params: AgentParams,
          querystring: PendingCommandsQuery,
          response: { 200: PendingCommandsResponse, ...errors },
        },
      },
      async (request) => {
        const { agentId, instanceId } = requireAgent(request, request.params.agent_id);
        const { wait, limit } = request.query;
        const abort = new AbortController();
        request.raw.once('close', () => abort.abort());
        return delivery.poll(agentId, instanceId, { waitMs: wait * 1000, limit, signal: abort.signal });
      },
    );

    app.post(
      '/api/agents/:agent_id/commands/:command_id/result',
      {
        schema: {
          tags: ['agent'],
          summary: 'Report the outcome of a command',
          params: CommandParams,
          body: CommandResultRequest,
          response: { 200: CommandResultResponse, ...errors },
        },
      },
      async (request) => {
        const { agentId } = requireAgent(request, request.params.agent_id);
        return lifecycle.commandResult(agentId, request.params.command_id, request.body);
      },
    );

    app.post(
      '/api/agents/:agent_id/instance-launched',
      {
        schema: {
          tags: ['agent'],
          summary: 'Confirm that AWS reports the instance running (first confirmation wins)',
          params: AgentParams,
          body: InstanceLaunchedRequest,
          response: { 200: ConfirmationResponse, ...errors },
        },
      },
      async (request) => {
        const { agentId } = requireAgent(request, request.params.agent_id);
        return lifecycle.confirmLaunched(agentId, request.body);
      },
    );

    app.post(
      '/api/agents/:agent_id/instance-terminated',
      {
        schema: {
          tags: ['agent'],
          summary: 'Confirm that AWS reports the instance terminated (first confirmation wins)',
          params: AgentParams,
          body: InstanceTerminatedRequest,
          response: { 200: ConfirmationResponse, ...errors },
        },
      },
      async (request) => {
        const { agentId } = requireAgent(request, request.params.agent_id);
        return lifecycle.confirmTerminated(agentId, request.body);
      },
    );

    app.post(
      '/api/agents/:agent_id/termination-notice',
      {
        schema: {
          tags: ['agent'],
          summary: 'Report a spot termination notice (IMDS spot/instance-action)',
          params: AgentParams,
          body: TerminationNoticeRequest,
          response: { 200: NoticeResponse, ...errors },
        },
      },
      async (request) =>
        notices.terminationNotice(requireAgent(request, request.params.agent_id), request.body),
    );

    app.post(
      '/api/agents/:agent_id/rebalance-notice',
      {
        schema: {
          tags: ['agent'],
          summary: 'Report a rebalance recommendation (IMDS events/recommendations/rebalance)',
          params: AgentParams,
          body: RebalanceNoticeRequest,
          response: { 200: NoticeResponse, ...errors },
        },
      },
      async (request) =>
        notices.rebalanceNotice(requireAgent(request, request.params.agent_id), request.body),
    );

    app.post(
      '/api/agents/:agent_id/pricing-report',
      {
        schema: {
          tags: ['agent'],
          summary: 'Report spot prices seen for candidate pools (staging snapshots)',
          params: AgentParams,
          body: PricingReportRequest,
          response: { 200: PricingReportResponse, ...errors },
        },
      },
      async (request) => notices.pricingReport(requireAgent(request, request.params.agent_id), request.body),
    );
  };
