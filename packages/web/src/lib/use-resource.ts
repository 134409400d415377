import { useCallback, useEffect, useRef, useState } from 'react';

export type Resource<T> =
  | { state: 'loading'; data: T | null; error: null }
  | { state: 'ready'; data: T; error: null }
  | { state: 'error'; data: T | null; error: string };

/**
 * Loads data for a view, cancelling a stale request when inputs change. `reload(true)`
 * refreshes in the background without dropping what is shown.
 */
export function useResource<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: readonly (string | number)[],
) {
  const [res, setRes] = useState<Resource<T>>({ state: 'loading', data: null, error: null });
  const ctl = useRef<AbortController | null>(null);
  // The latest `load` is used; `deps` (ids, options) say when to load again.
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useCallback((quiet = false) => {
    ctl.current?.abort();
    const c = new AbortController();
    ctl.current = c;
    if (!quiet) setRes((r) => ({ state: 'loading', data: r.data, error: null }));
    loadRef.current(c.signal).then(
      (data) => {
        if (!c.signal.aborted) setRes({ state: 'ready', data, error: null });
      },
      (err: Error) => {
        if (!c.signal.aborted) setRes((r) => ({ state: 'error', data: r.data, error: err.message }));
      },
    );
  }, []);
  const key = deps.join('\u0000');
  useEffect(() => {
    if (key !== undefined) reload();
    return () => ctl.current?.abort();
  }, [reload, key]);
  return { ...res, reload };
}
