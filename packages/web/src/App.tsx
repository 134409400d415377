import { useEffect, useState } from 'react';
import { ConnectionIndicator } from './components/ConnectionIndicator';
import { EmergencyAlerts } from './components/EmergencyAlert';
import { Notices } from './components/Notices';
import { Loading } from './components/States';
import { startFleetSync } from './events/fleet-sync';
import { useSession } from './store/session-store';
import { AgentsView } from './views/AgentsView';
import { HistoryView } from './views/HistoryView';
import { InstancesView } from './views/InstancesView';
import { LoginView } from './views/LoginView';
import { PricesView } from './views/PricesView';

const VIEWS = {
  instances: { label: 'Instances', View: InstancesView },
  history: { label: 'History', View: HistoryView },
  agents: { label: 'Agents', View: AgentsView },
  prices: { label: 'Prices & savings', View: PricesView },
} as const;
type ViewName = keyof typeof VIEWS;

function viewFromHash(): ViewName {
  const name = window.location.hash.replace(/^#\/?/, '');
  return name in VIEWS ? (name as ViewName) : 'instances';
}

function useHashView(): ViewName {
  const [view, setView] = useState(viewFromHash);
  useEffect(() => {
    const on = () => setView(viewFromHash());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return view;
}

function Shell({ clientId }: { clientId: string }) {
  const { session, clients, pickClient, signOut } = useSession();
  const view = useHashView();
  useEffect(() => startFleetSync(clientId), [clientId]);
  const { View } = VIEWS[view];
  return (
    <div className="app">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>{' '}
          Spot Optimizer
        </div>
        <nav aria-label="Views">
          {(Object.keys(VIEWS) as ViewName[]).map((name) => (
            <a
              key={name}
              href={`#/${name}`}
              className={`tab${view === name ? ' tab-on' : ''}`}
              aria-current={view === name ? 'page' : undefined}
              data-testid={`nav-${name}`}
            >
              {VIEWS[name].label}
            </a>
          ))}
        </nav>
        <div className="spacer" />
        <ConnectionIndicator />
        {session?.role === 'admin' ? (
          <label className="client-pick">
            <span>Client</span>
            <select value={clientId} onChange={(e) => pickClient(e.target.value)} data-testid="client-picker">
              {clients.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <span className="who" data-testid="client-name">
            {session?.client_name}
          </span>
        )}
        <button type="button" className="btn btn-ghost" onClick={() => void signOut()} data-testid="sign-out">
          Sign out
        </button>
      </header>
      <EmergencyAlerts />
      <main id="main" tabIndex={-1}>
        <View key={clientId} />
      </main>
      <Notices />
    </div>
  );
}

export function App() {
  const { phase, session, clientId, check } = useSession();
  useEffect(() => {
    void check();
  }, [check]);
  if (phase === 'checking') return <Loading label="Checking your session…" />;
  if (phase === 'signed-out' || !session) return <LoginView />;
  if (!clientId)
    return (
      <main className="login">
        <div className="card login-card">
          <h1>No clients yet</h1>
          <p>
            Signed in as admin, but no client exists. Create one with <code>POST /api/admin/clients</code>.
          </p>
          <button type="button" className="btn" onClick={() => void useSession.getState().signOut()}>
            Sign out
          </button>
        </div>
      </main>
    );
  return <Shell key={clientId} clientId={clientId} />;
}
