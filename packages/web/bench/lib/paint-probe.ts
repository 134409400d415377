/**
 * In-page instrumentation (runs in the browser). A MutationObserver watches instance rows;
 * when the awaited row appears or changes status, the time is taken in the next animation
 * frame and after it (a message posted from requestAnimationFrame runs once the frame is out),
 * i.e. when the change is painted. Times are performance.now() in the page.
 */
export function installPaintProbe(): void {
  type Waiter = { test: (el: HTMLElement) => boolean; resolve: (t: number) => void };
  const waiters: Waiter[] = [];
  const probe = {
    clickAt: 0,
    pending: null as Promise<number> | null,
    arm(kind: 'pending-launching' | 'status', id?: string, status?: string) {
      probe.pending = new Promise<number>((resolve) => {
        const test =
          kind === 'pending-launching'
            ? (el: HTMLElement) =>
                el.dataset.status === 'LAUNCHING' && (el.dataset.instanceId ?? '').startsWith('pending-')
            : (el: HTMLElement) => el.dataset.instanceId === id && el.dataset.status === status;
        waiters.push({ test, resolve });
      });
    },
  };
  const afterPaint = (resolve: (t: number) => void) =>
    requestAnimationFrame(() => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => resolve(performance.now());
      ch.port2.postMessage(null);
    });
  const check = (el: HTMLElement) => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i]!.test(el)) {
        const [w] = waiters.splice(i, 1);
        afterPaint(w!.resolve);
      }
    }
  };
  const rows = (n: Node): HTMLElement[] =>
    n instanceof HTMLElement
      ? n.matches('[data-testid=instance-row]')
        ? [n]
        : [...n.querySelectorAll<HTMLElement>('[data-testid=instance-row]')]
      : [];
  new MutationObserver((muts) => {
    if (waiters.length === 0) return;
    for (const m of muts) {
      const changed = m.type === 'attributes' ? rows(m.target) : [...m.addedNodes].flatMap(rows);
      for (const el of changed) check(el);
    }
  }).observe(document.body, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ['data-status'],
  });
  document.addEventListener(
    'click',
    (e) => {
      if ((e.target as Element).closest?.('[data-testid=launch-submit]')) probe.clickAt = performance.now();
    },
    true,
  );
  (window as unknown as { __probe: typeof probe }).__probe = probe;
}
