import { useNow } from '../lib/clock';
import { formatTime } from '../lib/format';
import type { Emergency } from '../store/fleet-state';
import { useFleet } from '../store/fleet-store';
import { dismissEmergency } from '../store/reducer';

/** mm:ss until the deadline, or how long ago it passed. */
export function countdown(deadline: string, now: number): { text: string; passed: boolean } {
  const ms = Date.parse(deadline) - now;
  const s = Math.ceil(Math.abs(ms) / 1000);
  const text = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  return ms > 0 ? { text, passed: false } : { text, passed: true };
}

function EmergencyItem({ e, now }: { e: Emergency; now: number }) {
  const update = useFleet((s) => s.update);
  const instance = useFleet((s) => (e.instance_id ? s.instances[e.instance_id] : undefined));
  const agent = useFleet((s) => s.agents[e.agent_id]);
  const cd = e.deadline ? countdown(e.deadline, now) : null;
  const notice = e.kind === 'termination_notice';
  return (
    <div
      className={`emergency ${notice ? 'emergency-notice' : 'emergency-rebalance'}`}
      role="alert"
      data-testid="emergency-alert"
      data-interruption-id={e.interruption_id}
    >
      <div className="emergency-main">
        <strong>{notice ? 'Spot termination notice' : 'Rebalance recommendation'}</strong>
        <span>
          {e.cloud_instance_id} · agent {agent?.logical_id ?? e.agent_id.slice(0, 8)}
          {instance ? ` · now ${instance.status}` : ''}
          {e.action ? ` · AWS action: ${e.action}` : ''}
        </span>
        <span className="muted">detected {formatTime(e.detected_at)}</span>
      </div>
      {cd ? (
        <div className={`countdown${cd.passed ? ' countdown-passed' : ''}`} data-testid="emergency-countdown">
          {cd.passed ? `deadline passed ${cd.text} ago` : `${cd.text} left`}
        </div>
      ) : (
        <div className="countdown countdown-none">early warning</div>
      )}
      <button
        type="button"
        className="btn-icon"
        aria-label={`Dismiss alert for ${e.cloud_instance_id}`}
        onClick={() => update((s) => dismissEmergency(s, e.interruption_id))}
      >
        ×
      </button>
    </div>
  );
}

/** Alerts for interruption signals, with a live countdown to AWS's deadline. */
export function EmergencyAlerts() {
  const emergencies = useFleet((s) => s.emergencies);
  const now = useNow();
  const list = Object.values(emergencies).sort((a, b) => (a.detected_at < b.detected_at ? 1 : -1));
  if (list.length === 0) return null;
  return (
    <section className="emergencies" aria-label="Emergencies">
      {list.map((e) => (
        <EmergencyItem key={e.interruption_id} e={e} now={now} />
      ))}
    </section>
  );
}
