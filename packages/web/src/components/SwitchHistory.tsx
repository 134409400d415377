import type { SwitchStatus, SwitchView } from '@spot/contract';
import { type JSX, useMemo, useState } from 'react';
import { api } from '../api/endpoints';
import { useNow } from '../lib/clock';
import { formatPercent, formatPrice, formatSeconds, formatTime, since } from '../lib/format';
import { useResource } from '../lib/use-resource';
import { poolLabel } from '../store/fleet-state';
import { useFleet } from '../store/fleet-store';
import { applySwitches } from '../store/reducer';
import { Empty, ErrorState, Loading } from './States';

const PAGE = 25;

/** IN_PROGRESS spins; the phase shown follows the target instance live (PROMOTING once it is). */
export function SwitchBadge({ sw }: { sw: SwitchView }) {
  const target = useFleet((s) => (sw.to_instance_id ? s.instances[sw.to_instance_id] : undefined));
  const status: SwitchStatus = sw.status;
  const phase = status === 'IN_PROGRESS' && target?.status === 'PROMOTING' ? 'promoting' : sw.phase;
  return (
    <span
      className={`badge badge-switch-${status.toLowerCase()}`}
      data-testid="switch-status"
      data-status={status}
      title={`${status} (${phase})`}
    >
      {status === 'IN_PROGRESS' && <span className="spinner" aria-hidden="true" />}
      {status === 'IN_PROGRESS' ? `IN PROGRESS · ${phase}` : status}
    </span>
  );
}

function Elapsed({ from }: { from: string }) {
  return <>{since(from, useNow())}</>;
}

function priceChange(sw: SwitchView): JSX.Element {
  if (sw.from_price === null && sw.to_price === null) return <span className="muted">—</span>;
  const pct =
    sw.from_price && sw.to_price !== null ? ((sw.to_price - sw.from_price) / sw.from_price) * 100 : null;
  return (
    <>
      {formatPrice(sw.from_price)} → {formatPrice(sw.to_price)}
      {pct !== null && (
        <div className={`small ${pct <= 0 ? 'saving' : 'extra-cost'}`}>{formatPercent(pct)}</div>
      )}
    </>
  );
}

/**
 * An agent's switches, newest first: status, trigger, from → to pools, prices, duration,
 * downtime, error. Loaded from GET /api/client/switches into the store, then kept live by
 * SWITCH_* events: a switch in progress shows as such until its end arrives.
 */
export function SwitchHistory({ agentId }: { agentId: string }) {
  const update = useFleet((s) => s.update);
  const all = useFleet((s) => s.switches);
  const [older, setOlder] = useState<{ busy: boolean; more: boolean; error: string | null }>({
    busy: false,
    more: true,
    error: null,
  });
  const res = useResource(
    async (signal) => {
      const page = await api.switches({ agent_id: agentId, limit: PAGE }, signal);
      update((s) => applySwitches(s, page.switches));
      setOlder((o) => ({ ...o, more: page.switches.length === PAGE }));
      return page;
    },
    [agentId],
  );
  const list = useMemo(
    () =>
      Object.values(all)
        .filter((s) => s.agent_id === agentId)
        .sort((a, b) => b.requested_at.localeCompare(a.requested_at) || (a.switch_id < b.switch_id ? -1 : 1)),
    [all, agentId],
  );

  const loadOlder = async () => {
    const oldest = list[list.length - 1];
    if (!oldest) return;
    setOlder({ busy: true, more: true, error: null });
    try {
      const page = await api.switches({ agent_id: agentId, limit: PAGE, before: oldest.requested_at });
      update((s) => applySwitches(s, page.switches));
      setOlder({ busy: false, more: page.switches.length === PAGE, error: null });
    } catch (err) {
      setOlder({ busy: false, more: true, error: (err as Error).message });
    }
  };

  let body: JSX.Element;
  if (res.state === 'loading' && list.length === 0) body = <Loading label="Loading switches…" />;
  else if (res.state === 'error' && list.length === 0)
    body = <ErrorState message={res.error} onRetry={() => res.reload()} />;
  else if (list.length === 0)
    body = <Empty title="No switches yet">Switches of this agent between pools show here, live.</Empty>;
  else
    body = (
      <>
        <table className="grid-table" aria-label="Switch history" data-testid="switch-history">
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Trigger</th>
              <th scope="col">From → to</th>
              <th scope="col">$/h</th>
              <th scope="col">Requested</th>
              <th scope="col" className="num">
                Took
              </th>
              <th scope="col" className="num">
                Downtime
              </th>
              <th scope="col">Error</th>
            </tr>
          </thead>
          <tbody>
            {list.map((sw) => (
              <tr
                key={sw.switch_id}
                data-testid="switch-row"
                data-switch-id={sw.switch_id}
                data-status={sw.status}
                className={sw.status === 'IN_PROGRESS' ? 'row-live' : undefined}
              >
                <td>
                  <SwitchBadge sw={sw} />
                </td>
                <td>
                  {sw.trigger.replace(/_/g, ' ')}
                  {sw.reason && <div className="muted small">{sw.reason}</div>}
                </td>
                <td className="mono small">
                  {sw.from_pool ? poolLabel(sw.from_pool) : '—'} → {poolLabel(sw.to_pool)}
                </td>
                <td className="mono small">{priceChange(sw)}</td>
                <td className="small">{formatTime(sw.requested_at)}</td>
                <td className="num">
                  {sw.completed_at ? (
                    formatSeconds((Date.parse(sw.completed_at) - Date.parse(sw.requested_at)) / 1000)
                  ) : (
                    <Elapsed from={sw.requested_at} />
                  )}
                </td>
                <td className="num" data-testid="switch-downtime">
                  {formatSeconds(sw.downtime_seconds)}
                </td>
                <td className="small">
                  {sw.error_code ? (
                    <span className="err-text" title={sw.error_message ?? undefined}>
                      {sw.error_code}
                      {sw.error_message ? `: ${sw.error_message}` : ''}
                    </span>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {older.error && <p className="field-error">Could not load older switches: {older.error}</p>}
        {older.more && res.state === 'ready' && (
          <button
            type="button"
            className="btn btn-small"
            disabled={older.busy}
            onClick={() => void loadOlder()}
          >
            {older.busy ? 'Loading…' : 'Load older'}
          </button>
        )}
      </>
    );
  return body;
}
