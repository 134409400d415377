import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one server process, served at /metrics. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'spot_' });
  const canonicalCacheHits = new Counter({
    name: 'spot_canonical_cache_hits_total',
    help: 'Canonical price features (what decisions read) served from the cache, per pool',
    registers: [registry],
  });
  const canonicalCacheMisses = new Counter({
    name: 'spot_canonical_cache_misses_total',
    help: 'Canonical price features read from the database, per pool',
    registers: [registry],
  });
  new Gauge({
    name: 'spot_canonical_cache_hit_ratio',
    help: 'Canonical cache hits / (hits + misses) since start (0 before any read)',
    registers: [registry],
    async collect() {
      const hits = (await canonicalCacheHits.get()).values[0]?.value ?? 0;
      const misses = (await canonicalCacheMisses.get()).values[0]?.value ?? 0;
      this.set(hits + misses > 0 ? hits / (hits + misses) : 0);
    },
  });
  return {
    canonicalCacheHits,
    canonicalCacheMisses,
    registry,
    httpDuration: new Histogram({
      name: 'spot_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30],
      registers: [registry],
    }),
    instanceListAnswers: new Counter({
      name: 'spot_instance_list_answers_total',
      help: 'Active instance lists answered: from=held (nothing changed), events (brought forward), table (read again)',
      labelNames: ['from'] as const,
      registers: [registry],
    }),
    priceSeriesAnswers: new Counter({
      name: 'spot_price_series_answers_total',
      help: 'Price series pages answered from a held window: from=held (nothing changed), events (changed pools read again), table (window read again)',
      labelNames: ['from'] as const,
      registers: [registry],
    }),
    savingsStoredParts: new Counter({
      name: 'spot_savings_stored_parts_total',
      help: "Savings windows' stored parts (stored hours, raw hour before them): from=held (the rollup changed nothing), read (read again)",
      labelNames: ['from'] as const,
      registers: [registry],
    }),
    savingsLiveSpans: new Counter({
      name: 'spot_savings_live_spans_total',
      help: "Savings windows' hours since the last stored one: from=held (nothing changed), events (changed runs or pools read again), table (read again)",
      labelNames: ['from'] as const,
      registers: [registry],
    }),
    sseConnections: new Gauge({
      name: 'spot_sse_connections',
      help: 'Open SSE connections',
      registers: [registry],
    }),
    wsConnections: new Gauge({
      name: 'spot_ws_connections',
      help: 'Open WebSocket connections',
      registers: [registry],
    }),
    jobRuns: new Counter({
      name: 'spot_job_runs_total',
      help: 'Scheduled job runs',
      labelNames: ['job'] as const,
      registers: [registry],
    }),
    decisions: new Counter({
      name: 'spot_decisions_total',
      help: 'Decisions made by the decision engine, by policy and action',
      labelNames: ['policy', 'action'] as const,
      registers: [registry],
    }),
    decisionContractViolations: new Counter({
      name: 'spot_decision_contract_violations_total',
      help: 'Decision engine calls whose input or output broke the contract (answered "stay")',
      labelNames: ['policy', 'side'] as const,
      registers: [registry],
    }),
    modelFallbacks: new Counter({
      name: 'spot_model_fallbacks_total',
      help: 'Decisions an active model failed (error, timeout, broken contract) and the rules answered',
      labelNames: ['model', 'reason'] as const,
      registers: [registry],
    }),
    decisionLatency: new Histogram({
      name: 'spot_decision_latency_seconds',
      help: 'Decision engine latency in-process (input validated → output validated)',
      labelNames: ['policy'] as const,
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.5],
      registers: [registry],
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
