import { type FormEvent, useState } from 'react';
import { useSession } from '../store/session-store';

/** Sign in with a client or admin token; the server answers with an HttpOnly session cookie. */
export function LoginView() {
  const { signIn, busy, error } = useSession();
  const [token, setToken] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (token.trim().length > 0) void signIn(token);
  };
  return (
    <main className="login">
      <form className="card login-card" onSubmit={submit} aria-labelledby="login-title">
        <div className="brand brand-lg">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>{' '}
          Spot Optimizer
        </div>
        <h1 id="login-title">Sign in</h1>
        <p className="muted">Use your client token, or the admin token to look at any client.</p>
        <div className="field">
          <label htmlFor="token">Access token</label>
          <input
            id="token"
            type="password"
            autoComplete="current-password"
            value={token}
            // biome-ignore lint/a11y/noAutofocus: the only thing to do on this page
            autoFocus
            data-testid="token-input"
            onChange={(e) => setToken(e.target.value)}
          />
        </div>
        {error && (
          <p className="field-error" role="alert" data-testid="login-error">
            {error}
          </p>
        )}
        <button
          type="submit"
          className="btn btn-primary btn-block"
          disabled={busy || token.trim() === ''}
          data-testid="sign-in"
        >
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="muted small">The token is sent once; the session lives in an HttpOnly cookie.</p>
      </form>
    </main>
  );
}
