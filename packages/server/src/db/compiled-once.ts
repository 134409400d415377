import { CompiledQuery, type Kysely, type QueryResult } from 'kysely';

/**
 * A statement of the hot paths (heartbeat and agent-token batches, hundreds a second at fleet
 * scale) built and compiled by Kysely once, then run with each batch's parameters: building
 * and compiling the query tree at every flush was 7 % of the server's CPU under 5,000
 * heartbeats a second (a CPU profile of `npm run bench -- heartbeats`). Its parameters are
 * arrays, so the statement's text never depends on the batch.
 */
export class CompiledOnce<DB, Row> {
  private text: string | null = null;

  /**
   * `build` compiles the statement with one placeholder value per parameter, in the order
   * `run` is given them; a statement that carries any other value is refused at its first run.
   */
  constructor(private readonly build: (kysely: Kysely<DB>) => CompiledQuery<Row>) {}

  async run(kysely: Kysely<DB>, parameters: readonly unknown[]): Promise<QueryResult<Row>> {
    this.text ??= this.compile(kysely, parameters.length);
    return kysely.executeQuery(CompiledQuery.raw(this.text, [...parameters]) as CompiledQuery<Row>);
  }

  private compile(kysely: Kysely<DB>, count: number): string {
    const compiled = this.build(kysely);
    if (compiled.parameters.length !== count) {
      throw new Error(`statement compiled with ${compiled.parameters.length} parameters, run with ${count}`);
    }
    return compiled.sql;
  }
}
