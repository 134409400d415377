import { useEffect } from 'react';
import { useFleet } from '../store/fleet-store';
import { dismissNotice } from '../store/reducer';

const AUTO_DISMISS_MS = { info: 6000, error: 15000 } as const;

/** Toasts: refused actions, failed commands, notifications. */
export function Notices() {
  const notices = useFleet((s) => s.notices);
  const update = useFleet((s) => s.update);
  useEffect(() => {
    const timers = notices.map((n) =>
      setTimeout(() => update((s) => dismissNotice(s, n.id)), AUTO_DISMISS_MS[n.level]),
    );
    return () => {
      for (const t of timers) clearTimeout(t);
    };
  }, [notices, update]);
  if (notices.length === 0) return null;
  return (
    <div className="notices" aria-live="assertive">
      {notices.map((n) => (
        <div key={n.id} className={`notice notice-${n.level}`} role="alert" data-testid="notice">
          <span>{n.text}</span>
          <button
            type="button"
            className="btn-icon"
            aria-label="Dismiss"
            onClick={() => update((s) => dismissNotice(s, n.id))}
          >
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
