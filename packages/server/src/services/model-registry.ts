import { createHash, randomUUID } from 'node:crypto';
import {
  ModelContract,
  type ModelDetail,
  type ModelList,
  type ModelScope,
  type ModelValidationReport,
  type ModelView,
  type UploadModelRequest,
} from '@spot/contract';
import type { Scorer } from '@spot/decision';
import { loadOnnxScorer, type OnnxScorer } from '@spot/decision/onnx';
import type { Executor, Tx } from '../db/executor.ts';
import { DomainError, notFound } from '../domain/errors.ts';
import { type AsyncDecisionEngine, createModelEngine, type Timer } from '../domain/model-engine.ts';
import { type ModelAction, nextModelState } from '../domain/model-lifecycle.ts';
import { writeAudit } from '../repositories/audit.ts';
import { isUuid } from '../repositories/ids.ts';
import {
  findModel,
  insertModel,
  listActiveModels,
  listModels,
  lockActiveIn,
  lockModel,
  type ModelMeta,
  modelBytes,
  modelDecisionStats,
  updateModelState,
} from '../repositories/models.ts';
import { isoRequired } from '../views/time.ts';
import type { ServiceContext } from './context.ts';
import { validateModel } from './model-validation.ts';
import { inTransaction } from './unit-of-work.ts';

export interface ModelRegistryOptions {
  /** A model answer slower than this falls back to the rules (DECISION_MODEL_TIMEOUT_MS). */
  timeoutMs: number;
  /**
   * How long the active-model lookup is cached (MODEL_REFRESH_SECONDS). An activation in this
   * process is seen at once; another server process sees it within this time.
   */
  refreshMs: number;
  /** Loads a model's bytes (default: onnxruntime). */
  load?: (bytes: Uint8Array, contract: ModelContract) => Promise<OnnxScorer>;
  /** Wraps the scorer a served model uses (a seam for tests: a model that throws or hangs). */
  serve?: (scorer: Scorer, model: ModelMeta) => Scorer;
  /** The timeout's timer (tests inject one, so no test waits on real time). */
  timer?: Timer;
}

/** A model engine ready to be asked, with the id decisions record. */
export interface ActiveModel {
  modelId: string;
  engine: AsyncDecisionEngine;
}

interface Session {
  scorer: Promise<OnnxScorer>;
  engine: AsyncDecisionEngine;
  inflight: number;
  lastUsed: number;
  evicted: boolean;
}

/** Loaded sessions kept per process (the active ones, plus the recently replaced while in use). */
const MAX_SESSIONS = 8;

const defaultLoad = (bytes: Uint8Array, contract: ModelContract) =>
  loadOnnxScorer(bytes, { input: contract.input.name, output: contract.output.name });

export function modelPolicyName(m: Pick<ModelMeta, 'name' | 'version'>): string {
  return `model:${m.name}@v${m.version}`;
}

/**
 * The model registry: uploads, validation on fixtures, versions, activation per client or
 * globally, and the engine each decision asks. Hot reload without a restart: sessions are
 * cached by model id, and the active model per scope is looked up through a short cache that
 * an activation in this process clears at once (other processes: within `refreshMs`).
 */
export class ModelRegistry {
  private readonly load: NonNullable<ModelRegistryOptions['load']>;
  private active: { at: number; byScope: Map<string, ModelMeta> } | null = null;
  private generation = 0;
  private readonly sessions = new Map<string, Session>();
  private tick = 0;

  constructor(
    private readonly ctx: ServiceContext,
    readonly options: ModelRegistryOptions,
  ) {
    this.load = options.load ?? defaultLoad;
  }

  async upload(req: UploadModelRequest, actor: string): Promise<ModelView> {
    const bytes = new Uint8Array(Buffer.from(req.onnx_base64, 'base64'));
    if (bytes.length === 0) throw new DomainError('VALIDATION_ERROR', 'the model is empty');
    // Not an ONNX model at all is a bad request; a model that loads but breaks its contract is uploaded and then rejected by validation.
    try {
      const scorer = await this.load(bytes, req.contract);
      await scorer.release();
    } catch (err) {
      throw new DomainError(
        'VALIDATION_ERROR',
        `onnx_base64 is not a loadable ONNX model: ${(err as Error).message.split('\n')[0]}`.slice(0, 300),
      );
    }
    const row = await conflictOnUnique('another upload of this name took the version; retry', () =>
      inTransaction(this.ctx, async (tx) => {
        const inserted = await insertModel(tx, {
          id: randomUUID(),
          name: req.name,
          description: req.description ?? null,
          contract: req.contract,
          bytes,
          sha256: createHash('sha256').update(bytes).digest('hex'),
          now: this.ctx.now(),
        });
        await writeAudit(tx, {
          actor,
          action: 'model_uploaded',
          entity_type: 'model',
          entity_id: inserted.id,
          before: null,
          after: { name: inserted.name, version: inserted.version, sha256: inserted.sha256 },
        });
        return inserted;
      }),
    );
    return toModelView(row);
  }

  async list(): Promise<ModelList> {
    return { models: (await listModels(this.ctx.db.kysely)).map(toModelView) };
  }

  async get(id: string): Promise<ModelDetail> {
    const row = isUuid(id) ? await findModel(this.ctx.db.kysely, id) : undefined;
    if (!row) throw notFound('model', id);
    const s = await modelDecisionStats(this.ctx.db.kysely, id);
    return {
      ...toModelView(row),
      stats: { decisions: s.decisions, fallbacks: s.fallbacks, latency_ms_p50: s.p50, latency_ms_p99: s.p99 },
    };
  }

  /** Runs the fixtures: validated or rejected, with the report. */
  async validate(id: string, actor: string): Promise<ModelView> {
    const row = isUuid(id) ? await findModel(this.ctx.db.kysely, id) : undefined;
    if (!row) throw notFound('model', id);
    const contract = ModelContract.parse(parseJson(row.contract));
    const bytes = await modelBytes(this.ctx.db.kysely, id);
    let report: ModelValidationReport;
    try {
      const scorer = await this.load(bytes!, contract);
      try {
        report = await validateModel(contract, scorer, this.ctx.now());
      } finally {
        await scorer.release();
      }
    } catch (err) {
      report = {
        ok: false,
        checks: [{ name: 'load', ok: false, detail: (err as Error).message.slice(0, 300) }],
        validated_at: this.ctx.now().toISOString(),
      };
    }
    return this.transition(id, { type: 'validated', ok: report.ok }, actor, report);
  }

  /** Activates a validated model in a scope, retiring the model active there; 409 unless validated. */
  async activate(id: string, scope: ModelScope, actor: string): Promise<ModelView> {
    if (scope !== 'global') {
      const client =
        isUuid(scope) &&
        (await this.ctx.db.kysely
          .selectFrom('clients')
          .select('id')
          .where('id', '=', scope)
          .executeTakeFirst());
      if (!client) throw notFound('client', scope);
    }
    const view = await this.transition(id, { type: 'activate', scope }, actor);
    this.invalidate();
    // Warm the session so the first decision does not pay the load.
    const db = this.ctx.db.kysely;
    await (await this.session(db, await this.meta(id))).scorer.catch((err) =>
      this.ctx.log.warn(
        { model_id: id, err },
        'activated model failed to load; decisions fall back to rules',
      ),
    );
    return view;
  }

  async deactivate(id: string, actor: string): Promise<ModelView> {
    const view = await this.transition(id, { type: 'deactivate' }, actor);
    this.invalidate();
    return view;
  }

  /**
   * The engine for a client's decisions: its own active model, else the global one; null for
   * the rules. `db` is the caller's transaction (a decision runs in one): the lookups use it.
   */
  async engineFor(db: Executor, clientId: string): Promise<ActiveModel | null> {
    const byScope = await this.activeByScope(db);
    const model = byScope.get(clientId) ?? byScope.get('global');
    if (!model) return null;
    return { modelId: model.id, engine: (await this.session(db, model)).engine };
  }

  /** Forgets the active-model lookup (activation, deactivation). */
  invalidate(): void {
    this.active = null;
    this.generation++;
  }

  async close(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.scorer.then((x) => x.release()).catch(() => {})));
  }

  private async transition(
    id: string,
    action: ModelAction,
    actor: string,
    validation?: ModelValidationReport,
  ): Promise<ModelView> {
    if (!isUuid(id)) throw notFound('model', id);
    return conflictOnUnique('another model was activated in this scope at the same time; retry', () =>
      inTransaction(this.ctx, async (tx) => {
        const row = await lockModel(tx, id);
        if (!row) throw notFound('model', id);
        const next = nextModelState({ status: row.status, scope: row.scope }, action);
        if (action.type === 'activate' && (row.status !== 'active' || row.scope !== action.scope))
          await this.supersede(tx, action.scope, id, actor);
        const updated = await updateModelState(tx, id, {
          ...next,
          ...(validation ? { validation } : {}),
          now: this.ctx.now(),
        });
        await writeAudit(tx, {
          actor,
          action: `model_${action.type}`,
          entity_type: 'model',
          entity_id: id,
          before: { status: row.status, scope: row.scope },
          after: {
            status: updated.status,
            scope: updated.scope,
            ...(validation ? { ok: validation.ok } : {}),
          },
        });
        return toModelView(updated);
      }),
    );
  }

  /** Retires the model active in `scope` (at most one: the partial unique index holds it too). */
  private async supersede(tx: Tx, scope: string, by: string, actor: string): Promise<void> {
    const current = await lockActiveIn(tx, scope);
    if (!current || current.id === by) return;
    const next = nextModelState({ status: current.status, scope: current.scope }, { type: 'supersede' });
    await updateModelState(tx, current.id, { ...next, now: this.ctx.now() });
    await writeAudit(tx, {
      actor,
      action: 'model_superseded',
      entity_type: 'model',
      entity_id: current.id,
      before: { status: current.status, scope: current.scope },
      after: { status: next.status, scope: null, by },
    });
  }

  private async meta(id: string): Promise<ModelMeta> {
    const row = await findModel(this.ctx.db.kysely, id);
    if (!row) throw notFound('model', id);
    return row;
  }

  private async activeByScope(db: Executor): Promise<Map<string, ModelMeta>> {
    const now = this.ctx.now().getTime();
    if (this.active && now - this.active.at < this.options.refreshMs) return this.active.byScope;
    const generation = this.generation;
    const rows = await listActiveModels(db);
    const byScope = new Map(rows.map((r) => [r.scope!, r]));
    // An activation while this lookup ran invalidated it: do not cache what may be stale.
    if (generation === this.generation) this.active = { at: now, byScope };
    return byScope;
  }

  /** The model's loaded session and engine, loaded once per process and shared. */
  private async session(db: Executor, model: ModelMeta): Promise<Session> {
    const cached = this.sessions.get(model.id);
    if (cached) {
      cached.lastUsed = ++this.tick;
      return cached;
    }
    const contract = ModelContract.parse(parseJson(model.contract));
    const bytes = await modelBytes(db, model.id);
    const again = this.sessions.get(model.id); // loaded by a concurrent caller meanwhile
    if (again) return again;
    if (!bytes) throw notFound('model', model.id);
    const scorer = this.load(bytes, contract);
    scorer.catch(() => this.sessions.delete(model.id)); // a failed load is retried by the next decision
    const session: Session = {
      scorer,
      engine: undefined as never,
      inflight: 0,
      lastUsed: ++this.tick,
      evicted: false,
    };
    const serve = this.options.serve;
    const tracked: Scorer = {
      score: async (rows, n) => {
        session.inflight++;
        try {
          const s = await scorer;
          return await (serve ? serve(s, model) : s).score(rows, n);
        } finally {
          session.inflight--;
          if (session.evicted && session.inflight === 0) void release(session);
        }
      },
    };
    session.engine = createModelEngine({
      name: modelPolicyName(model),
      scorer: tracked,
      threshold: contract.threshold,
      range: contract.output.range,
    });
    this.sessions.set(model.id, session);
    this.evict();
    return session;
  }

  /** Beyond MAX_SESSIONS, releases the least recently used sessions (once nothing runs on them). */
  private evict(): void {
    while (this.sessions.size > MAX_SESSIONS) {
      const [id, oldest] = [...this.sessions.entries()].reduce((a, b) =>
        b[1].lastUsed < a[1].lastUsed ? b : a,
      );
      this.sessions.delete(id);
      oldest.evicted = true;
      if (oldest.inflight === 0) void release(oldest);
    }
  }
}

async function release(s: Session): Promise<void> {
  await s.scorer.then((x) => x.release()).catch(() => {});
}

/** A unique index refusing a concurrent write (version per name, one active per scope) is a 409, not a 500. */
async function conflictOnUnique<T>(message: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw new DomainError('CONFLICT', message);
    throw err;
  }
}

const parseJson = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

export function toModelView(row: ModelMeta): ModelView {
  return {
    model_id: row.id,
    name: row.name,
    version: row.version,
    description: row.description,
    status: row.status,
    scope: row.scope,
    contract: parseJson(row.contract) as ModelContract,
    size_bytes: row.size_bytes,
    sha256: row.sha256,
    validation: (parseJson(row.validation) as ModelValidationReport | null) ?? null,
    created_at: isoRequired(row.created_at),
    updated_at: isoRequired(row.updated_at),
  };
}
