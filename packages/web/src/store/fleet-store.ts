import type { StreamEvent } from '@spot/contract';
import { create } from 'zustand';
import type { FleetState } from './fleet-state';
import { emptyFleet } from './fleet-state';
import { applyEvent } from './reducer';

export interface FleetStore extends FleetState {
  /** Runs a pure transition (reducer.ts) on the store. */
  update(fn: (s: FleetState) => FleetState): void;
  apply(event: StreamEvent): void;
  reset(): void;
}

const stateOf = (s: FleetStore): FleetState => s;

export const useFleet = create<FleetStore>()((set) => ({
  ...emptyFleet(),
  update: (fn) => set((s) => fn(stateOf(s))),
  apply: (event) => set((s) => applyEvent(stateOf(s), event)),
  reset: () => set(emptyFleet()),
}));
