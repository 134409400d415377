import type { InstanceRole } from '@spot/contract';

const TITLES: Record<InstanceRole, string> = {
  PRIMARY: 'serves the workload',
  REPLICA: 'stands by in another pool; can be promoted',
  ZOMBIE: 'former primary, no longer serving; being terminated',
};

/** PRIMARY / REPLICA / ZOMBIE, each styled apart; ZOMBIE is struck through so it reads as retired. */
export function RoleBadge({ role }: { role: InstanceRole | null }) {
  if (!role) return <span className="muted">—</span>;
  return (
    <span
      className={`role-badge role-${role.toLowerCase()}`}
      data-testid="role-badge"
      data-role={role}
      title={TITLES[role]}
    >
      {role}
    </span>
  );
}
