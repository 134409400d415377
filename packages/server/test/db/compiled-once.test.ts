import {
  DummyDriver,
  Kysely,
  type KyselyPlugin,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type RootOperationNode,
  sql,
} from 'kysely';
import { describe, expect, it } from 'vitest';
import { CompiledOnce } from '../../src/db/compiled-once.ts';

/** A Kysely that compiles for PostgreSQL and records what it would send. */
function recording() {
  const sent: Array<{ sql: string; parameters: readonly unknown[] }> = [];
  const plugin: KyselyPlugin = {
    transformQuery: (args) => args.node as RootOperationNode,
    transformResult: async (args) => args.result,
  };
  const kysely = new Kysely<unknown>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => {
        const driver = new DummyDriver();
        const acquire = driver.acquireConnection.bind(driver);
        driver.acquireConnection = async () => {
          const conn = await acquire();
          return {
            executeQuery: async (q) => {
              sent.push({ sql: q.sql, parameters: q.parameters });
              return { rows: [] };
            },
            streamQuery: conn.streamQuery.bind(conn),
          };
        };
        return driver;
      },
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
    plugins: [plugin],
  });
  return { kysely, sent };
}

describe('a statement compiled once', () => {
  it('is built once and sent with each run’s parameters', async () => {
    const { kysely, sent } = recording();
    let built = 0;
    const statement = new CompiledOnce((k: Kysely<unknown>) => {
      built++;
      return sql`SELECT * FROM unnest(${[] as string[]}::text[], ${[] as number[]}::int[])`.compile(k);
    });
    await statement.run(kysely, [['a'], [1]]);
    await statement.run(kysely, [
      ['b', 'c'],
      [2, 3],
    ]);
    expect(built).toBe(1);
    expect(sent).toEqual([
      { sql: 'SELECT * FROM unnest($1::text[], $2::int[])', parameters: [['a'], [1]] },
      {
        sql: 'SELECT * FROM unnest($1::text[], $2::int[])',
        parameters: [
          ['b', 'c'],
          [2, 3],
        ],
      },
    ]);
  });

  it('refuses a statement whose placeholders do not match the parameters it is run with', async () => {
    const { kysely, sent } = recording();
    // 'online' would become a parameter of its own: the run's one parameter would bind to it.
    const statement = new CompiledOnce((k: Kysely<unknown>) =>
      sql`SELECT ${'online'} = ANY(${[] as string[]}::text[])`.compile(k),
    );
    await expect(statement.run(kysely, [['x']])).rejects.toThrow(
      'statement compiled with 2 parameters, run with 1',
    );
    expect(sent).toEqual([]);
  });
});
