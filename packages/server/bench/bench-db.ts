import { createTestDatabase, type TestDatabase } from '../test/support/databases.ts';

/** Benchmarks use the same throwaway databases as the tests (TEST_DB selects the engine). */
export async function benchDatabase(): Promise<TestDatabase> {
  return createTestDatabase({ persistent: true });
}
