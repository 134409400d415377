import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { type Journal, JournalData } from './journal.ts';

/**
 * The agent's files in its state directory (mode 0700):
 * - state.json (0600): who it is on the server — {agent_id, agent_token, server_url,
 *   instance_id, …}. A restart reuses it, so the client token is needed only once.
 * - journal.json (0600): commands received and instances launched, so a restart neither
 *   runs a command twice nor forgets an instance it must watch.
 * Both are replaced atomically (write + rename): a crash leaves the old or the new file.
 */
export const AgentState = z.object({
  agent_id: z.string().min(1),
  agent_token: z.string().min(1),
  server_url: z.string().min(1),
  logical_id: z.string().min(1),
  /** The EC2 instance this agent runs on, and its record on the server (when adopted). */
  cloud_instance_id: z.string().min(1),
  instance_id: z.string().nullable(),
});
export type AgentState = z.infer<typeof AgentState>;

export class StateStore {
  readonly dir: string;
  private journalChain: Promise<void> = Promise.resolve();

  constructor(dir: string) {
    this.dir = path.resolve(dir);
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  get outboxDir(): string {
    return path.join(this.dir, 'outbox');
  }

  /** The saved identity, or null when there is none; a damaged file is an error, not a silent re-registration. */
  async loadState(): Promise<AgentState | null> {
    const text = await readOptional(path.join(this.dir, 'state.json'));
    if (text === null) return null;
    const parsed = AgentState.safeParse(safeJson(text));
    if (!parsed.success)
      throw new Error(`${path.join(this.dir, 'state.json')} is damaged; remove it to register again`);
    return parsed.data;
  }

  async saveState(state: AgentState): Promise<void> {
    await writeAtomic(path.join(this.dir, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
  }

  async loadJournal(): Promise<JournalData> {
    const text = await readOptional(path.join(this.dir, 'journal.json'));
    if (text === null) return JournalData.parse({});
    const parsed = JournalData.safeParse(safeJson(text));
    // The journal only prevents repeats; a damaged one is set aside rather than blocking start.
    if (!parsed.success) {
      await rename(
        path.join(this.dir, 'journal.json'),
        path.join(this.dir, `journal.damaged-${Date.now()}.json`),
      );
      return JournalData.parse({});
    }
    return parsed.data;
  }

  /** Saves the journal; saves are serialised so an older snapshot never overwrites a newer one. */
  saveJournal(journal: Journal): Promise<void> {
    const next = this.journalChain.then(() =>
      writeAtomic(path.join(this.dir, 'journal.json'), JSON.stringify(journal.toJSON())),
    );
    this.journalChain = next.catch(() => undefined);
    return next;
  }
}

async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await chmod(tmp, 0o600); // writeFile's mode is masked by the umask; the token file must be 0600
  await rename(tmp, file);
}

async function readOptional(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
