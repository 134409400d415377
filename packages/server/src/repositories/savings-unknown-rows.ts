import type { UnknownOndemand, UnknownSpotPrice } from '../domain/savings.ts';

/** A stored unknown (or a sum of them: PostgreSQL may give numbers as text) as the domain has it. */
export const toUnknownOndemand = (u: UnknownOdRow): UnknownOndemand => ({
  region: u.region,
  instance_type: u.instance_type,
  market: u.market === 'on-demand' ? 'on-demand' : 'spot',
  hours: Number(u.hours),
  spend: u.spend === null ? null : Number(u.spend),
});
export const toUnknownSpot = (u: UnknownSpotRow): UnknownSpotPrice => ({
  instance_type: u.instance_type,
  availability_zone: u.availability_zone,
  hours: Number(u.hours),
});

export interface UnknownOdRow {
  region: string;
  instance_type: string;
  market: string;
  hours: number;
  spend: number | null;
}
export interface UnknownSpotRow {
  instance_type: string;
  availability_zone: string;
  hours: number;
}
