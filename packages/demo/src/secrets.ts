import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DemoSecrets {
  admin_token: string;
  client_token: string;
}

/**
 * The demo's own credentials, kept beside its data (mode 0600) so a restarted demo finds
 * its tenant again. DEMO_CLIENT_TOKEN, when set, is the client token to use.
 */
export function loadDemoSecrets(dataDir: string, clientToken: string | undefined): DemoSecrets {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'demo-secrets.json');
  let secrets: DemoSecrets | null = null;
  if (existsSync(file)) {
    try {
      secrets = JSON.parse(readFileSync(file, 'utf8')) as DemoSecrets;
    } catch {
      secrets = null;
    }
  }
  secrets ??= {
    admin_token: `soa_${randomBytes(32).toString('base64url')}`,
    client_token: `soc_${randomBytes(32).toString('base64url')}`,
  };
  if (clientToken) secrets.client_token = clientToken;
  writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
  return secrets;
}
