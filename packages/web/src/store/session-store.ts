import type { ClientView, SessionView } from '@spot/contract';
import { create } from 'zustand';
import { api } from '../api/endpoints';
import { ApiError, setActingClient } from '../api/http';

const ACTING_KEY = 'spot.actingClient';

export interface SessionStore {
  phase: 'checking' | 'signed-out' | 'signed-in';
  session: SessionView | null;
  /** The tenant the views show: the client's own, or the one an admin picked. */
  clientId: string | null;
  clients: ClientView[];
  error: string | null;
  busy: boolean;
  check(): Promise<void>;
  signIn(token: string): Promise<void>;
  signOut(): Promise<void>;
  pickClient(id: string): void;
}

function remembered(): string | null {
  try {
    return localStorage.getItem(ACTING_KEY);
  } catch {
    return null;
  }
}

export const useSession = create<SessionStore>()((set, get) => {
  /** After sign-in: a client acts for itself; an admin picks among the clients. */
  async function enter(session: SessionView): Promise<void> {
    if (session.role === 'client') {
      setActingClient(null);
      set({ phase: 'signed-in', session, clientId: session.client_id, clients: [], error: null });
      return;
    }
    const { clients } = await api.clients();
    const wanted = remembered();
    const clientId = clients.find((c) => c.id === wanted)?.id ?? clients[0]?.id ?? null;
    setActingClient(clientId);
    set({ phase: 'signed-in', session, clients, clientId, error: null });
  }

  return {
    phase: 'checking',
    session: null,
    clientId: null,
    clients: [],
    error: null,
    busy: false,
    async check() {
      try {
        await enter(await api.me());
      } catch (err) {
        const silent = err instanceof ApiError && err.status === 401;
        set({ phase: 'signed-out', session: null, error: silent ? null : (err as Error).message });
      }
    },
    async signIn(token) {
      set({ busy: true, error: null });
      try {
        await enter(await api.login(token.trim()));
      } catch (err) {
        const msg =
          err instanceof ApiError && (err.status === 401 || err.status === 400)
            ? 'That token was not accepted.'
            : (err as Error).message;
        set({ phase: 'signed-out', error: msg });
      } finally {
        set({ busy: false });
      }
    },
    async signOut() {
      try {
        await api.logout();
      } catch {
        // Signing out locally still matters when the server is unreachable.
      }
      setActingClient(null);
      set({ phase: 'signed-out', session: null, clientId: null, clients: [], error: null });
    },
    pickClient(id) {
      if (!get().clients.some((c) => c.id === id)) return;
      try {
        localStorage.setItem(ACTING_KEY, id);
      } catch {}
      setActingClient(id);
      set({ clientId: id });
    },
  };
});
