export * from './admin.ts';
export * from './agents.ts';
export * from './common.ts';
export * from './enums.ts';
export * from './events.ts';
export * from './instances.ts';
export * from './prices.ts';
export * from './switching.ts';
