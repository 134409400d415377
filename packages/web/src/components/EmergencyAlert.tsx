import { useMemo } from 'react';
import { useNow } from '../lib/clock';
import { formatTime } from '../lib/format';
import type { Emergency } from '../store/fleet-state';
import { useFleet } from '../store/fleet-store';
import {
  canDismiss,
  describeResponse,
  outcomeLabel,
  type ResponseFacts,
  servingText,
  sourcesLabel,
} from '../store/interruptions';
import { dismissEmergency } from '../store/reducer';

/** mm:ss until the deadline, or how long ago it passed. */
export function countdown(deadline: string, now: number): { text: string; passed: boolean } {
  const ms = Date.parse(deadline) - now;
  const s = Math.ceil(Math.abs(ms) / 1000);
  const text = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  return ms > 0 ? { text, passed: false } : { text, passed: true };
}

/** The response as it proceeds, following the linked switch and its target from the store. */
export function useResponse(e: Emergency) {
  const sw = useFleet((s) => (e.switch_id ? s.switches[e.switch_id] : undefined));
  const target = useFleet((s) => (sw?.to_instance_id ? s.instances[sw.to_instance_id] : undefined));
  const instance = useFleet((s) => (e.instance_id ? s.instances[e.instance_id] : undefined));
  // Only to say why nothing was done.
  const none = e.response === 'none' || (!e.response && !e.instance_id);
  const switches = useFleet((s) => (none ? s.switches : undefined));
  const hasReplica = useFleet(
    (s) =>
      none &&
      Object.values(s.instances).some(
        (i) =>
          i.agent_id === e.agent_id &&
          i.role === 'REPLICA' &&
          i.instance_id !== e.instance_id &&
          (i.status === 'RUNNING' || i.status === 'LAUNCHING'),
      ),
  );
  return useMemo(() => {
    const facts: ResponseFacts = {
      sw,
      target,
      instance,
      hasReplica,
      agentSwitches: switches ? Object.values(switches).filter((s) => s.agent_id === e.agent_id) : [],
    };
    return { sw, instance, step: describeResponse(e, facts), serving: servingText(e, sw) };
  }, [e, sw, target, instance, switches, hasReplica]);
}

function EmergencyItem({ e, now }: { e: Emergency; now: number }) {
  const update = useFleet((s) => s.update);
  const agent = useFleet((s) => s.agents[e.agent_id]);
  const { instance, step, serving } = useResponse(e);
  const notice = e.kind === 'termination_notice';
  // Once the outcome is in, there is nothing left to count down to.
  const cd = e.deadline && !e.outcome ? countdown(e.deadline, now) : null;
  return (
    <div
      className={`emergency ${notice ? 'emergency-notice' : 'emergency-rebalance'}${e.outcome ? ' emergency-settled' : ''}`}
      role="alert"
      data-testid="emergency-alert"
      data-interruption-id={e.interruption_id}
      data-response={e.response ?? ''}
      data-outcome={e.outcome ?? ''}
    >
      <div className="emergency-main">
        <strong>{notice ? 'Spot termination notice' : 'Rebalance recommendation'}</strong>
        <span>
          {e.cloud_instance_id} · agent {agent?.logical_id ?? e.agent_id.slice(0, 8)}
          {instance ? ` · now ${instance.status}` : ''}
          {e.action ? ` · AWS action: ${e.action}` : ''}
        </span>
        <span className="muted">
          detected {formatTime(e.detected_at)}
          {e.sources.length > 0 && (
            <span data-testid="emergency-sources"> · reported by {sourcesLabel(e.sources)}</span>
          )}
        </span>
        <span
          className={`emergency-step step-${step.state}`}
          data-testid="emergency-response"
          data-state={step.state}
        >
          {step.state === 'active' || step.state === 'waiting' ? (
            <span className="spinner" aria-hidden="true" />
          ) : null}
          <span className="muted">Response:</span> {step.text}
        </span>
      </div>
      {e.outcome ? (
        <div className={`outcome outcome-${e.outcome}`} data-testid="emergency-outcome">
          <b>{outcomeLabel(e.outcome)}</b>
          {serving ? <small>{serving}</small> : null}
        </div>
      ) : cd ? (
        <div className={`countdown${cd.passed ? ' countdown-passed' : ''}`} data-testid="emergency-countdown">
          {cd.passed ? `deadline passed ${cd.text} ago` : `${cd.text} left`}
        </div>
      ) : (
        <div className="countdown countdown-none">{notice ? 'no deadline' : 'early warning'}</div>
      )}
      {canDismiss(e, now) ? (
        <button
          type="button"
          className="btn-icon"
          aria-label={`Dismiss alert for ${e.cloud_instance_id}`}
          onClick={() => update((s) => dismissEmergency(s, e.interruption_id))}
        >
          ×
        </button>
      ) : null}
    </div>
  );
}

/**
 * Alerts for interruption signals: a live countdown to AWS's deadline, then the response as it
 * proceeds and its outcome (one alert per interruption id; updates merge into it).
 */
export function EmergencyAlerts() {
  const emergencies = useFleet((s) => s.emergencies);
  const dismissed = useFleet((s) => s.dismissed);
  const now = useNow();
  const list = Object.values(emergencies)
    .filter((e) => !dismissed[e.interruption_id])
    .sort((a, b) => (a.detected_at < b.detected_at ? 1 : -1));
  if (list.length === 0) return null;
  return (
    <section className="emergencies" aria-label="Emergencies">
      {list.map((e) => (
        <EmergencyItem key={e.interruption_id} e={e} now={now} />
      ))}
    </section>
  );
}
