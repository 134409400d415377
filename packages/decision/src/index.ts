// @spot/decision: pure decision policies and the offline replay that judges them on recorded
// spot prices. File reading lives only in ./prices/read.ts and the CLI.

export * from './model/features.ts';
export * from './model/model-policy.ts';
export * from './policy/index.ts';
export * from './prices/csv.ts';
export * from './prices/read.ts';
export * from './prices/types.ts';
export * from './replay/cost.ts';
export * from './replay/market.ts';
export * from './replay/oracle.ts';
export * from './replay/plot.ts';
export * from './replay/report.ts';
export * from './replay/run.ts';
export * from './replay/simulate.ts';
export * from './replay/table.ts';
