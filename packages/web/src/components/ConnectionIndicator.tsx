import { useSync } from '../store/sync-store';

const LABEL = {
  connecting: 'Connecting…',
  connected: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
} as const;

/** Whether the live event stream is up; after a drop the view resumes where it stopped. */
export function ConnectionIndicator() {
  const link = useSync((s) => s.link);
  return (
    <span
      className={`link link-${link}`}
      data-testid="link-state"
      data-state={link}
      role="status"
      aria-live="polite"
      title={
        link === 'connected'
          ? 'Receiving live events'
          : 'Live events interrupted; the view catches up when the link is back'
      }
    >
      <span className="link-dot" aria-hidden="true" />
      {LABEL[link]}
    </span>
  );
}
