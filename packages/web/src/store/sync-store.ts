import { create } from 'zustand';
import type { LinkState } from '../events/connection';

/** How fresh the live view is: the event link and the first snapshot. */
export interface SyncStore {
  link: LinkState;
  snapshot: 'loading' | 'ready' | 'error';
  snapshotError: string | null;
}

export const useSync = create<SyncStore>()(() => ({
  link: 'connecting',
  snapshot: 'loading',
  snapshotError: null,
}));
