import type { InstanceStatus, LaunchRequest } from '@spot/contract';
import { InstanceStatus as StatusSchema } from '@spot/contract';
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, type ReactNode, useMemo, useRef, useState } from 'react';
import { LaunchDialog } from '../components/LaunchDialog';
import { PromoteDialog } from '../components/PromoteDialog';
import { RoleBadge } from '../components/RoleBadge';
import { Empty, ErrorState, Loading } from '../components/States';
import { StatusBadge } from '../components/StatusBadge';
import { TerminateDialog } from '../components/TerminateDialog';
import { reloadSnapshot } from '../events/fleet-sync';
import { useNow } from '../lib/clock';
import { formatDuration, formatPrice, since } from '../lib/format';
import { launchInstance, terminateInstance } from '../store/actions';
import { canPromote, canTerminate } from '../store/fleet-state';
import { useFleet } from '../store/fleet-store';
import { addNotice } from '../store/reducer';
import { buildRows, type InstanceRow, queryRows, type RowQuery, type SortKey } from '../store/rows';
import { useSync } from '../store/sync-store';

const ROW_HEIGHT = 40;
const STATUSES = StatusSchema.options.filter((s) => s !== 'TERMINATED');

const COLUMNS: { key: SortKey | null; label: string; num?: boolean }[] = [
  { key: 'status', label: 'Status' },
  { key: null, label: 'Role' },
  { key: 'agent', label: 'Agent' },
  { key: null, label: 'Cloud ID' },
  { key: 'type', label: 'Type' },
  { key: 'az', label: 'AZ' },
  { key: 'price', label: 'Spot $/h', num: true },
  { key: 'since', label: 'In state', num: true },
  { key: 'launch', label: 'Launch', num: true },
  { key: null, label: 'Term.', num: true },
  { key: null, label: '' },
];

/** Ticks every second on its own so a row re-renders only its clock, not the whole list. */
function InState({ at }: { at: string }) {
  return <>{since(at, useNow())}</>;
}

const Row = memo(function Row({
  row,
  onTerminate,
  onPromote,
}: {
  row: InstanceRow;
  onTerminate: (row: InstanceRow) => void;
  onPromote: (row: InstanceRow) => void;
}) {
  const terminable = !row.optimistic && row.instance !== null && canTerminate(row.instance);
  const promotable = !row.optimistic && row.instance !== null && canPromote(row.instance);
  return (
    <>
      <td>
        <StatusBadge status={row.status} optimistic={row.optimistic} />
      </td>
      <td>
        <RoleBadge role={row.role} />
      </td>
      <td className="ellipsis" title={row.agentId}>
        {row.agentLabel}
      </td>
      <td className="mono ellipsis" title={row.id}>
        {row.cloudId ?? <span className="muted">{row.optimistic ? 'requested' : 'pending'}</span>}
      </td>
      <td className="mono">
        {row.instanceType}
        {row.market === 'on-demand' && <span className="tag">OD</span>}
      </td>
      <td className="mono">{row.az ?? '—'}</td>
      <td className="num">{formatPrice(row.price)}</td>
      <td className="num">
        <InState at={row.statusSince} />
      </td>
      <td className="num">{formatDuration(row.launchSeconds)}</td>
      <td className="num">{formatDuration(row.terminationSeconds)}</td>
      <td className="actions">
        {row.error && (
          <span className="err-dot" title={row.error} role="img" aria-label={`error: ${row.error}`}>
            !
          </span>
        )}
        {promotable && (
          <button
            type="button"
            className="btn btn-small"
            data-testid="promote-button"
            aria-label={`Promote ${row.cloudId ?? row.id}`}
            onClick={() => onPromote(row)}
          >
            Promote
          </button>
        )}
        {terminable && (
          <button
            type="button"
            className="btn btn-small btn-danger-outline"
            data-testid="terminate-button"
            aria-label={`Terminate ${row.cloudId ?? row.id}`}
            onClick={() => onTerminate(row)}
          >
            Terminate
          </button>
        )}
      </td>
    </>
  );
});

export function InstancesView() {
  const instances = useFleet((s) => s.instances);
  const pending = useFleet((s) => s.pending);
  const agents = useFleet((s) => s.agents);
  const prices = useFleet((s) => s.prices);
  const { snapshot, snapshotError } = useSync();
  const [query, setQuery] = useState<RowQuery>({ status: 'ALL', text: '', sort: 'status', dir: 'asc' });
  const [launching, setLaunching] = useState(false);
  const [confirm, setConfirm] = useState<InstanceRow | null>(null);

  const all = useMemo(
    () => buildRows(instances, pending, agents, prices),
    [instances, pending, agents, prices],
  );
  const rows = useMemo(() => queryRows(all, query), [all, query]);
  const counts = useMemo(() => {
    const c: Partial<Record<InstanceStatus, number>> = {};
    for (const r of all) c[r.status] = (c[r.status] ?? 0) + 1;
    return c;
  }, [all]);

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    getItemKey: (i) => rows[i]!.id,
  });

  const sortBy = (key: SortKey) =>
    setQuery((q) => ({ ...q, sort: key, dir: q.sort === key && q.dir === 'asc' ? 'desc' : 'asc' }));

  const onLaunch = (req: LaunchRequest) => {
    setLaunching(false);
    void launchInstance(req);
  };
  const onTerminate = useMemo(() => (row: InstanceRow) => setConfirm(row), []);
  const [promoting, setPromoting] = useState<InstanceRow | null>(null);
  const onPromote = useMemo(() => (row: InstanceRow) => setPromoting(row), []);

  let state: ReactNode = null;
  if (snapshot === 'loading' && all.length === 0) state = <Loading label="Loading instances…" />;
  else if (snapshot === 'error' && all.length === 0)
    state = <ErrorState message={snapshotError ?? 'unknown error'} onRetry={() => void reloadSnapshot()} />;
  else if (all.length === 0)
    state = (
      <Empty title="No active instances">
        Launch one with the Launch button; it appears here at once and turns RUNNING when AWS confirms it.
      </Empty>
    );
  else if (rows.length === 0) state = <Empty title="No instance matches the filter" />;

  const header = (
    <thead>
      <tr className="thead">
        {COLUMNS.map((c) =>
          c.key ? (
            <th
              key={c.label}
              scope="col"
              className={c.num ? 'num' : undefined}
              aria-sort={
                query.sort === c.key ? (query.dir === 'asc' ? 'ascending' : 'descending') : undefined
              }
            >
              <button type="button" className="sort" onClick={() => sortBy(c.key!)}>
                {c.label}
                <span aria-hidden="true">
                  {query.sort === c.key ? (query.dir === 'asc' ? ' ▲' : ' ▼') : ''}
                </span>
              </button>
            </th>
          ) : (
            <th key={c.label || 'actions'} scope="col" className={c.num ? 'num' : undefined}>
              {c.label || <span className="sr-only">Actions</span>}
            </th>
          ),
        )}
      </tr>
    </thead>
  );

  return (
    <section className="view view-instances" aria-labelledby="instances-title">
      <div className="toolbar">
        <h1 id="instances-title">Instances</h1>
        <fieldset className="counts" aria-label="Instances by status">
          {STATUSES.filter((s) => counts[s]).map((s) => (
            <button
              key={s}
              type="button"
              className={`count count-${s.toLowerCase()}${query.status === s ? ' count-on' : ''}`}
              aria-pressed={query.status === s}
              onClick={() => setQuery((q) => ({ ...q, status: q.status === s ? 'ALL' : s }))}
            >
              {s.toLowerCase()} <b>{counts[s]}</b>
            </button>
          ))}
        </fieldset>
        <div className="spacer" />
        <label className="sr-only" htmlFor="status-filter">
          Status filter
        </label>
        <select
          id="status-filter"
          value={query.status}
          data-testid="status-filter"
          onChange={(e) => setQuery((q) => ({ ...q, status: e.target.value as RowQuery['status'] }))}
        >
          <option value="ALL">All statuses</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <input
          type="search"
          placeholder="Filter: id, type, AZ, agent…"
          aria-label="Filter instances"
          data-testid="text-filter"
          value={query.text}
          onChange={(e) => setQuery((q) => ({ ...q, text: e.target.value }))}
        />
        <button
          type="button"
          className="btn btn-primary"
          data-testid="launch-button"
          onClick={() => setLaunching(true)}
        >
          Launch…
        </button>
      </div>
      <div className="table">
        <div className="table-head">
          <table className="vtable" aria-label="Instance columns (buttons sort)">
            {header}
          </table>
        </div>
        {state ?? (
          <div ref={scrollRef} className="table-scroll" data-testid="instances-scroll">
            <table className="vtable" aria-label="Active instances" aria-rowcount={rows.length}>
              <tbody style={{ height: virtual.getTotalSize() }}>
                {virtual.getVirtualItems().map((v) => {
                  const row = rows[v.index]!;
                  return (
                    <tr
                      key={v.key}
                      aria-rowindex={v.index + 1}
                      className={`trow${row.optimistic ? ' trow-optimistic' : ''}`}
                      data-testid="instance-row"
                      data-instance-id={row.id}
                      data-status={row.status}
                      data-cloud-id={row.cloudId ?? ''}
                      data-role={row.role ?? ''}
                      style={{ transform: `translateY(${v.start}px)`, height: ROW_HEIGHT }}
                    >
                      <Row row={row} onTerminate={onTerminate} onPromote={onPromote} />
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </div>
      <p className="footnote">
        {rows.length === all.length ? `${all.length} instances` : `${rows.length} of ${all.length} instances`}
      </p>
      {launching && <LaunchDialog onSubmit={onLaunch} onClose={() => setLaunching(false)} />}
      {promoting?.instance && (
        <PromoteDialog
          replica={promoting.instance}
          agentLabel={promoting.agentLabel}
          onClose={() => setPromoting(null)}
          onStarted={() => {
            const label = promoting.cloudId ?? promoting.id;
            setPromoting(null);
            useFleet.getState().update((s) => addNotice(s, 'info', `Promotion of ${label} started`));
          }}
        />
      )}
      {confirm && (
        <TerminateDialog
          row={confirm}
          onClose={() => setConfirm(null)}
          onConfirm={() => {
            const row = confirm;
            setConfirm(null);
            void terminateInstance(row.id, row.cloudId ?? row.id);
          }}
        />
      )}
    </section>
  );
}
