import { api } from '../api/endpoints';
import { useFleet } from '../store/fleet-store';
import {
  applyAgents,
  applyInterruptions,
  applyLatestPrices,
  applySnapshot,
  applySwitches,
} from '../store/reducer';
import { useSync } from '../store/sync-store';
import { EventConnection } from './connection';

/** What browser tests and the benchmark may poke at (no secrets: ids and sequence numbers only). */
export interface SpotTestHooks {
  dropEvents(delayMs?: number): void;
  lastSeq(): number | null;
  link(): string;
}
declare global {
  interface Window {
    __spot?: SpotTestHooks;
  }
}

/**
 * Live sync for one tenant: the SSE stream first, then the snapshot (merged by version, so an
 * event that raced the snapshot is not lost). Returns a stop function.
 */
export function startFleetSync(clientId: string): () => void {
  useFleet.getState().reset();
  useSync.setState({ link: 'connecting', snapshot: 'loading', snapshotError: null });
  let stopped = false;
  let loading: Promise<void> | null = null;

  const loadSnapshot = (): Promise<void> => {
    if (loading) return loading;
    const seqAtRequest = useFleet.getState().lastSeq;
    loading = (async () => {
      try {
        const [instances, agents, interruptions, prices, switches] = await Promise.all([
          api.instances(),
          api.agents(),
          api.interruptions(true).catch(() => null),
          api.prices(24).catch(() => null),
          // Recent switches: one in progress shows on its agent before anyone opens the agent.
          api.switches({ limit: 100 }).catch(() => null),
        ]);
        if (stopped) return;
        const { update } = useFleet.getState();
        update((s) => {
          let next = applySnapshot(s, instances.instances, seqAtRequest);
          next = applyAgents(next, agents.agents);
          if (interruptions) next = applyInterruptions(next, interruptions.interruptions);
          if (prices) next = applyLatestPrices(next, prices.pools);
          if (switches) next = applySwitches(next, switches.switches);
          return next;
        });
        useSync.setState({ snapshot: 'ready', snapshotError: null });
      } catch (err) {
        if (!stopped) useSync.setState({ snapshot: 'error', snapshotError: (err as Error).message });
      } finally {
        loading = null;
      }
    })();
    return loading;
  };

  const conn = new EventConnection({
    path: `/api/events/stream/${encodeURIComponent(clientId)}`,
    lastSeq: () => useFleet.getState().lastSeq,
    onEvent: (e) => useFleet.getState().apply(e),
    onState: (link) => useSync.setState({ link }),
    onFreshStart: () => void loadSnapshot(),
    isOnline: () => navigator.onLine,
  });
  conn.start();
  // If the stream cannot open, still show what the API has instead of a spinner forever.
  const fallback = setTimeout(() => {
    if (useSync.getState().snapshot === 'loading') void loadSnapshot();
  }, 2500);
  const online = () => conn.retryNow();
  window.addEventListener('online', online);
  window.__spot = {
    dropEvents: (delayMs) => conn.drop(delayMs),
    lastSeq: () => useFleet.getState().lastSeq,
    link: () => useSync.getState().link,
  };

  return () => {
    stopped = true;
    clearTimeout(fallback);
    window.removeEventListener('online', online);
    conn.stop();
    delete window.__spot;
  };
}

/** Reload the snapshot by hand (the Retry button of an error state). */
export async function reloadSnapshot(): Promise<void> {
  useSync.setState({ snapshot: 'loading', snapshotError: null });
  const seqAtRequest = useFleet.getState().lastSeq;
  try {
    const [instances, agents, switches] = await Promise.all([
      api.instances(),
      api.agents(),
      api.switches({ limit: 100 }).catch(() => null),
    ]);
    useFleet.getState().update((s) => {
      const next = applyAgents(applySnapshot(s, instances.instances, seqAtRequest), agents.agents);
      return switches ? applySwitches(next, switches.switches) : next;
    });
    useSync.setState({ snapshot: 'ready' });
  } catch (err) {
    useSync.setState({ snapshot: 'error', snapshotError: (err as Error).message });
  }
}
