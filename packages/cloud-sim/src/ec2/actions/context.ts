import type { Simulator } from '../../core/simulator.ts';
import type { Params } from '../query-params.ts';
import type { XmlObject } from '../xml.ts';

export interface ActionContext {
  sim: Simulator;
  params: Params;
}

/** An EC2 action: validated parameters in, the response body (without requestId) out. */
export type ActionHandler = (ctx: ActionContext) => XmlObject;
