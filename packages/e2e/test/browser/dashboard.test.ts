import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../../web/bench/lib/browser.ts';
import { buildDashboard } from '../../../web/bench/lib/build.ts';
import { type Front, startFront } from '../../../web/bench/lib/front.ts';
import { REPO } from '../support/process.ts';
import { type AgentHandle, eventually, Stack, type Tenant } from '../support/stack.ts';

/**
 * The dashboard in Debian's Chromium against the real server, the EC2 simulator and a real
 * agent process. A small same-origin front (web/bench/lib/front.ts) serves the production
 * bundle and forwards the API, so a test can cut the browser's connections like a bad network.
 */
const ARTIFACTS = path.join(REPO, 'packages/e2e/test-artifacts');
const ROW = (id: string) => `[data-testid=instance-row][data-instance-id="${id}"]`;

describe('dashboard in Chromium (server + simulator + agent)', () => {
  let stack: Stack;
  let tenant: Tenant;
  let agent: AgentHandle;
  let front: Front;
  let dist: string;
  let chrome: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    // Launch timeouts far above any boot here (60 s real on both sides), so a slow boot set
    // by a test below (and a busy machine) never turns into a FAILED launch.
    [dist, stack] = await Promise.all([
      buildDashboard(),
      Stack.start({ speed: 20, serverEnv: { LAUNCH_TIMEOUT_SECONDS: '1200' } }),
    ]);
    tenant = await stack.createTenant('browser-e2e');
    agent = await stack.startAgent(tenant, {
      logicalId: 'web-1',
      env: { SPOT_LAUNCH_TIMEOUT_SECONDS: '1200' },
    });
    front = await startFront(stack.serverUrl, dist);
    chrome = await launchChromium();
    page = await chrome.browser.newPage({ viewport: { width: 1280, height: 800 } });
    // Functions handed to page.evaluate are compiled with esbuild's keepNames helper.
    await page.addInitScript('window.__name = (f) => f');
    // Every status each instance row showed, in order: proves LAUNCHING was on screen before RUNNING.
    await page.addInitScript(() => {
      const seen: Record<string, string[]> = {};
      (window as unknown as { __seen: typeof seen }).__seen = seen;
      const note = (el: Element) => {
        if (!(el instanceof HTMLElement) || el.dataset.testid !== 'instance-row') return;
        const id = el.dataset.instanceId ?? '';
        const list = seen[id] ?? [];
        seen[id] = list;
        if (list.at(-1) !== el.dataset.status) list.push(el.dataset.status ?? '');
      };
      new MutationObserver((muts) => {
        for (const m of muts) {
          if (m.type === 'attributes') note(m.target as Element);
          for (const n of m.addedNodes) {
            if (n instanceof HTMLElement) {
              note(n);
              for (const r of n.querySelectorAll('[data-testid=instance-row]')) note(r);
            }
          }
        }
      }).observe(document, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: ['data-status'],
      });
    });
  });

  afterAll(async () => {
    await chrome?.close();
    await front?.close();
    await stack?.stop();
    if (dist) rmSync(dist, { recursive: true, force: true });
  });

  const seen = (id: string) =>
    page.evaluate((id) => (window as unknown as { __seen: Record<string, string[]> }).__seen[id] ?? [], id);

  /** Launch through the dialog; returns the instance id from the server's 202 answer. */
  async function launchFromDialog(type: string, az: string): Promise<string> {
    await page.click('[data-testid=launch-button]');
    const dialog = page.getByRole('dialog', { name: 'Launch instance' });
    await dialog.getByLabel('Agent').selectOption(agent.agentId);
    await dialog.getByLabel('Instance type').fill(type);
    await dialog.getByLabel('Availability zone (optional)').fill(az);
    // Optimistic: the LAUNCHING row is on screen before the server has answered. The request
    // is held in the browser until the row shows, so that is what happened (no time limit to race).
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const LAUNCH = '**/api/client/instances/launch';
    await page.route(LAUNCH, async (route) => {
      await held;
      await route.continue();
    });
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/client/instances/launch'));
    await dialog.getByTestId('launch-submit').click();
    await page.waitForSelector('[data-testid=instance-row][data-status=LAUNCHING]', { timeout: 30_000 });
    release();
    const res = await answer;
    await page.unroute(LAUNCH);
    expect(res.status()).toBe(202);
    return ((await res.json()) as { instance_id: string }).instance_id;
  }

  it('signs in, launches (LAUNCHING then RUNNING without a reload), terminates, and finds it in History', async () => {
    await page.goto(front.url);
    await page.getByLabel('Access token').fill('not-a-valid-token-0000');
    await page.getByTestId('sign-in').click();
    await expect.poll(() => page.getByTestId('login-error').textContent()).toContain('not accepted');
    await page.getByLabel('Access token').fill(tenant.token);
    await page.getByTestId('sign-in').click();
    await page.waitForSelector('[data-testid=link-state][data-state=connected]');
    expect(await page.getByTestId('client-name').textContent()).toBe('browser-e2e');
    await page.evaluate(() => {
      (window as unknown as { __sameDocument: boolean }).__sameDocument = true;
    });

    const id = await launchFromDialog('m5.large', 'us-east-1b');
    await page.waitForSelector(`${ROW(id)}[data-status=RUNNING]`, { timeout: 60_000 });
    const row = page.locator(ROW(id));
    expect(await row.getAttribute('data-cloud-id')).toMatch(/^i-[0-9a-f]+$/);
    expect(await seen(id)).toEqual(['LAUNCHING', 'RUNNING']);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-running.png') });

    await row.getByTestId('terminate-button').click();
    await page.getByRole('dialog', { name: 'Terminate instance?' }).getByTestId('terminate-confirm').click();
    // Optimistic TERMINATING at once, then the row leaves when AWS confirms.
    expect(await row.getAttribute('data-status')).toBe('TERMINATING');
    await page.waitForSelector(ROW(id), { state: 'detached', timeout: 60_000 });
    expect(await seen(id)).toEqual(['LAUNCHING', 'RUNNING', 'TERMINATING']);

    await page.getByTestId('nav-history').click();
    const hist = page.locator(`[data-testid=history-row][data-instance-id="${id}"]`);
    await hist.waitFor();
    expect(await hist.textContent()).toContain('manual');
    await hist.getByRole('button').click();
    const timeline = page.getByTestId('timeline');
    await timeline.waitFor();
    const text = await timeline.textContent();
    for (const step of [
      'launch requested',
      'launch confirmed',
      'terminate requested',
      'terminate confirmed',
    ]) {
      expect(text).toContain(step);
    }
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-history.png') });
    // All of it happened in one document: no reload.
    expect(
      await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument),
    ).toBe(true);
    await page.getByTestId('nav-instances').click();
  });

  for (const mode of ['reset', '503'] as const) {
    const how =
      mode === 'reset'
        ? 'connections cut: the browser resumes with Last-Event-ID'
        : 'stream refused: a new EventSource resumes with ?last_event_id';
    it(`drops the event connection mid-launch and shows the final state after it resumes (${how})`, async () => {
      await page.waitForSelector('[data-testid=link-state][data-state=connected]');
      // A boot of 200 simulated seconds (10 s real): the cut below comes while AWS still boots
      // the instance, even on a busy machine, and is checked to have.
      await stack.sim_('POST', '/_sim/pools', {
        instance_type: 'c5.large',
        availability_zone: 'us-east-1a',
        boot_delay_seconds: 200,
      });
      const id = await launchFromDialog('c5.large', 'us-east-1a');
      await page.waitForSelector(ROW(id));
      const before = front.streamRequests.length;

      front.blockEvents(mode);
      front.dropAll();
      await page.waitForSelector('[data-testid=link-state]:not([data-state=connected])');
      const cutWhile = await stack.api('GET', `/api/client/instances/${id}`, tenant.token);
      expect(cutWhile.status, 'the dashboard was cut off only after the launch was confirmed').toBe(
        'LAUNCHING',
      );
      // While the dashboard is cut off, AWS confirms the launch and the server records it.
      await eventually(async () => {
        const i = await stack.api('GET', `/api/client/instances/${id}`, tenant.token);
        return i.status === 'RUNNING';
      }, 60_000);
      expect(await page.locator(ROW(id)).getAttribute('data-status')).toBe('LAUNCHING');
      // Let the dashboard try to come back while it is still cut off, through the path under test.
      const resumes = (r: Front['streamRequests'][number]) =>
        mode === 'reset' ? r.lastEventIdHeader !== null : /[?&]last_event_id=\d+/.test(r.url);
      await eventually(async () => front.streamRequests.slice(before).some(resumes), 30_000);
      expect(await page.locator(ROW(id)).getAttribute('data-status')).toBe('LAUNCHING');
      await page.screenshot({ path: path.join(ARTIFACTS, `dashboard-dropped-${mode}.png`) });

      front.blockEvents(null);
      await page.waitForSelector(`${ROW(id)}[data-status=RUNNING]`, { timeout: 30_000 });
      await page.waitForSelector('[data-testid=link-state][data-state=connected]');
      expect(await seen(id)).toEqual(['LAUNCHING', 'RUNNING']);
      // Every reconnect asked to resume from where it stopped, none to start over.
      const after = front.streamRequests.slice(before);
      expect(after.length).toBeGreaterThan(0);
      expect(after.every((r) => r.lastEventIdHeader !== null || /[?&]last_event_id=\d+/.test(r.url))).toBe(
        true,
      );
      await page.screenshot({ path: path.join(ARTIFACTS, `dashboard-resumed-${mode}.png`) });
    });
  }
});
