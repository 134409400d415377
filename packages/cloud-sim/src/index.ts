export type { Bill, BillLine } from './core/billing.ts';
export type { InstanceStateName, Market } from './core/instance.ts';
export { type CloudSimHandle, type CloudSimOptions, startCloudSim } from './start.ts';
