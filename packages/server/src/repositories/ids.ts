const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Ids we hand out are UUIDs. A malformed one names nothing: lookups answer "not found"
 * instead of sending it to a uuid column, where PostgreSQL raises 22P02 (a 500).
 */
export const isUuid = (id: string): boolean => UUID_RE.test(id);
